#pragma once

// `trunkguard cdr list`: the most recent calls from the CDR database, newest first.

#include <cstddef>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

namespace tg::db {
struct CdrRecord;
}

namespace tg::app {

// One CDR with every field, in reading order: `cdr list --json` and the admin API's /cdrs.
nlohmann::ordered_json cdrJson(const db::CdrRecord& record);

// Prints up to limit calls as an aligned table, or as a JSON array of every CDR field when json
// is set. Opens the database read-only: it never creates or migrates one, and can run while the
// gateway writes. Exit codes: 0 listed (none is fine), 2 no database at dbPath or unreadable.
int runCdrList(const std::string& dbPath, size_t limit, bool json, std::ostream& out,
               std::ostream& err);

}  // namespace tg::app
