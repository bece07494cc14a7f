#pragma once

// `trunkguard events list`: the most recent security events (blocked or, in shadow mode, would-be
// blocked traffic), newest first.

#include <cstddef>
#include <iosfwd>
#include <string>

namespace tg::app {

// Prints up to limit events as an aligned table, or a JSON array with --json. Opens the
// database read-only, so it runs beside the gateway. Exit codes: 0 listed (none is fine),
// 2 no database at dbPath or not readable.
int runEventsList(const std::string& dbPath, size_t limit, bool json, std::ostream& out,
                  std::ostream& err);

}  // namespace tg::app
