#pragma once

// `trunkguard admin token add|list|revoke`: the admin API's bearer tokens for machines
// (db/token_store.h). add prints the token once (only its hash is kept); add and revoke go
// through the admin gate (an admin's TOTP code or --local-root, audited) like every edit.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "app/admin_gate.h"

namespace CLI {
class App;
}

namespace tg::app {

struct TokenCommandOptions {
  std::string action;  // add | list | revoke
  std::string name;    // add: the new token's name; revoke: its id or name
  std::string role = "viewer";
  bool json = false;
  AdminCredentials admin;
  std::string configPath;
  std::string dbPath;
};

// Exit codes: 0 done, 1 failed (exists, not found, database), 2 bad usage, 3 not authorised.
int runToken(const TokenCommandOptions& options, std::istream& in, std::ostream& out,
             std::ostream& err, const LocalOrigin& origin = currentOrigin());

// main.cc: adds `token` under the `admin` subcommand (added by addAccountCommands before).
struct TokenCli;
std::shared_ptr<TokenCli> addTokenCommands(CLI::App& app);
std::optional<int> runTokenCli(TokenCli& cli, std::istream& in, std::ostream& out,
                               std::ostream& err);

}  // namespace tg::app
