#pragma once

// `trunkguard account add|passwd|list|disable|enable|unlock` (remote-phone accounts) and
// `trunkguard admin add|passwd|verify` (admin users with TOTP and an API password), editing the
// accounts and admin_users tables of the gateway's database (db::AccountStore). A running gateway
// notices the change through account_edits and reloads.
//
// Passwords never come from the command line (it is visible in ps and shell history): from
// --password-file, from a prompt (no echo) on a terminal, or one line of stdin otherwise; or
// --generate prints a strong random one, once. They are never logged. Every edit (add, passwd,
// disable, enable, unlock, admin add) goes through AdminGate (admin_gate.h): an admin's TOTP
// code or --local-root, audited; `admin log` shows the audit.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/admin_gate.h"

namespace CLI {
class App;
}

namespace tg::app {

struct AccountCommandOptions {
  std::string action;  // account: add passwd list disable enable unlock; admin: admin-add ...
  std::string user;    // account name, or admin name for admin-add / admin-verify
  std::string realm;   // add/passwd: default public.auth.realm, else "trunkguard"
  std::string passwordFile;
  bool generate = false;
  std::vector<std::string> allowFrom;  // CIDRs
  std::vector<std::string> callerIds;
  int maxRegistrations = 1;
  bool json = false;
  AdminCredentials admin;  // every edit: the admin vouching, or --local-root
  size_t limit = 50;       // admin-log
  std::string code;        // admin-verify
  bool asciiQr = false;    // admin-add: "##" instead of Unicode half blocks
  std::string configPath;
  std::string dbPath;
};

// Exit codes: 0 done, 1 refused or failed (policy, no such account, database error), 2 bad
// usage, 3 (kNotAuthorisedExit) no valid admin credentials. `in` is where a password is read
// when there is no file and no terminal; `origin` is what the audit records.
int runAccount(const AccountCommandOptions& options, std::istream& in, std::ostream& out,
               std::ostream& err, const LocalOrigin& origin = currentOrigin());

// main.cc: adds the `account` and `admin` subcommands to `app`; after app.parse(),
// runAccountCli() runs whichever was chosen (nullopt: neither).
struct AccountCli;
std::shared_ptr<AccountCli> addAccountCommands(CLI::App& app);
std::optional<int> runAccountCli(AccountCli& cli, std::istream& in, std::ostream& out,
                                 std::ostream& err);

}  // namespace tg::app
