#pragma once

// Who may change the gateway's database from the CLI. Every mutating command (account add,
// passwd, disable, enable, unlock; admin add; ban add, remove, import) passes through
// AdminGate::authorise() first and AdminGate::finish() after, so each one is vouched for and
// lands in the admin_audit table (db::AuditStore) with who, what, when and from where.
//
// Ways to vouch, in order:
//   - --local-root: the process runs as root (effective uid 0) on the gateway host and says so;
//     audited as actor "root".
//   - bootstrap: `admin add` while admin_users is empty (the first admin; audited as
//     "bootstrap"). Any other command on a database without admins needs --local-root.
//   - --totp-user ADMIN plus a current TOTP code of that admin: --totp-code CODE, else the
//     environment variable TRUNKGUARD_TOTP_CODE, else a prompt (no echo) on a terminal.
// Failed codes count per admin towards a lock (accounts.lockout, auth::LockoutPolicy: the same
// thresholds and escalation as phone accounts); a locked admin's codes are refused with the
// same message as a wrong one, the audit row says "locked".

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "auth/lockout.h"

namespace CLI {
class App;
}

namespace tg::db {
class AccountStore;
}

namespace tg::app {

// The exit code of a command refused for want of admin credentials (nothing changed).
constexpr int kNotAuthorisedExit = 3;

struct AdminCredentials {
  std::string totpUser;
  std::string totpCode;  // "": TRUNKGUARD_TOTP_CODE, then a prompt on a terminal
  bool localRoot = false;
};

// From where the CLI runs: recorded in every audit row.
struct LocalOrigin {
  int64_t uid = -1;            // real uid
  bool effectiveRoot = false;  // euid 0: what --local-root requires
  std::string tty = "-";
  std::string host;
};
LocalOrigin currentOrigin();

// The --totp-user, --totp-code and --local-root options of a mutating subcommand.
void addAdminOptions(CLI::App* sub, AdminCredentials& credentials);

// What authorise() needs to know about the action.
struct AdminAction {
  std::string label;       // "account add 201": the audit's "what" and the messages' prefix
  bool bootstrap = false;  // `admin add`: allowed without credentials while no admin exists
};

class AdminGate {
 public:
  // store: the database the action edits (its admin_users); dbPath: where the audit goes.
  AdminGate(db::AccountStore& store, std::string dbPath, LocalOrigin origin,
            auth::LockoutPolicy lockout);

  // Whether the action may run; on a refusal the reason is written to err and audited. The
  // actor is kept for finish().
  bool authorise(const AdminAction& action, const AdminCredentials& credentials, std::istream& in,
                 std::ostream& err);
  // Records the outcome of an authorised action (exit code 0: "ok").
  void finish(int exitCode, std::ostream& err);

  const std::string& actor() const { return actor_; }

 private:
  bool checkCode(const AdminCredentials& credentials, std::istream& in, std::ostream& err);
  void audit(const std::string& actor, const std::string& result, std::ostream& err);

  db::AccountStore& store_;
  std::string dbPath_;
  LocalOrigin origin_;
  auth::LockoutPolicy lockout_;
  std::string label_;
  std::string actor_;
};

}  // namespace tg::app
