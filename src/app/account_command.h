#pragma once

// `trunkguard account add|passwd|list|disable|enable|unlock` (remote-phone accounts) and
// `trunkguard admin add|verify` (admin users with TOTP), editing the accounts and admin_users
// tables of the gateway's database (db::AccountStore). A running gateway notices the change
// through account_edits and reloads.
//
// Passwords never come from the command line (it is visible in ps and shell history): from
// --password-file, from a prompt (no echo) on a terminal, or one line of stdin otherwise; or
// --generate prints a strong random one, once. They are never logged. Sensitive actions (unlock,
// adding another admin) need --totp-user and --totp-code of an admin as soon as one exists.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  std::string totpUser;  // sensitive actions: the admin vouching
  std::string totpCode;
  std::string code;      // admin-verify
  bool asciiQr = false;  // admin-add: "##" instead of Unicode half blocks
  std::string configPath;
  std::string dbPath;
};

// Exit codes: 0 done, 1 refused or failed (policy, no such account, wrong code, database
// error), 2 bad usage. `in` is where a password is read when there is no file and no terminal.
int runAccount(const AccountCommandOptions& options, std::istream& in, std::ostream& out,
               std::ostream& err);

// main.cc: adds the `account` and `admin` subcommands to `app`; after app.parse(),
// runAccountCli() runs whichever was chosen (nullopt: neither).
struct AccountCli;
std::shared_ptr<AccountCli> addAccountCommands(CLI::App& app);
std::optional<int> runAccountCli(AccountCli& cli, std::istream& in, std::ostream& out,
                                 std::ostream& err);

}  // namespace tg::app
