#pragma once

// `trunkguard ban add|remove|list|import`: edits the bans table of the gateway's database. A
// running gateway notices the change within about a second (db::BanStore::changedSinceLastCheck)
// and reloads its ban list; a stopped one loads it at start. add, remove and import are admin
// actions: vouched for and audited by AdminGate.

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "app/admin_gate.h"

namespace tg::app {

struct BanCommandOptions {
  std::string action;      // "add", "remove", "list", "import"
  std::string target;      // add/remove: ADDR or CIDR; import: the blocklist file
  std::string duration;    // add/import: "1h", "30m", "2d", "3600", "permanent"; "" = default
  std::string reason;      // add
  std::string configPath;  // -c: database path, trusted networks, default duration
  std::string dbPath;      // --db: wins over the config's database.path
  bool json = false;       // list
  AdminCredentials admin;  // add/remove/import: the admin vouching, or --local-root
};

// Exit codes: 0 done, 1 failed (trusted network, no such ban, database error), 2 bad usage,
// 3 (kNotAuthorisedExit) an edit without valid admin credentials (admin_gate.h).
int runBan(const BanCommandOptions& options, std::ostream& out, std::ostream& err,
           const LocalOrigin& origin = currentOrigin());

// "3600", "90s", "30m", "1h", "2d", "1w"; "0", "permanent" and "never" mean until removed
// (returned as 0 s). nullopt with *error set on anything else.
std::optional<std::chrono::seconds> parseBanDuration(std::string_view text, std::string* error);

}  // namespace tg::app
