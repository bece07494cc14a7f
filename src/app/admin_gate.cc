#include "app/admin_gate.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "app/admin_code_check.h"
#include "app/terminal_prompt.h"
#include "db/account_store.h"
#include "db/audit_store.h"
#include "db/database.h"

namespace tg::app {
namespace {

constexpr const char* kCodeVariable = "TRUNKGUARD_TOTP_CODE";

int64_t nowMs() { return db::toEpochMillis(std::chrono::system_clock::now()); }

// Informational: SSH_CONNECTION is set by sshd ("client port server port"), but a local user
// can set it too, so the audit shows it next to the uid and tty rather than instead of them.
std::string sshClient() {
  const char* connection = std::getenv("SSH_CONNECTION");
  if (connection == nullptr) return {};
  std::string text(connection);
  return text.substr(0, text.find(' '));
}

}  // namespace

LocalOrigin currentOrigin() {
  LocalOrigin o;
  o.uid = static_cast<int64_t>(::getuid());
  o.effectiveRoot = ::geteuid() == 0;
  if (const char* tty = ::ttyname(STDIN_FILENO)) o.tty = tty;
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0) o.host = host.data();
  if (const std::string client = sshClient(); !client.empty()) {
    o.host += " via ssh from " + client;
  }
  return o;
}

void addAdminOptions(CLI::App* sub, AdminCredentials& c) {
  sub->add_option("--totp-user", c.totpUser, "Admin vouching for this action");
  sub->add_option("--totp-code", c.totpCode,
                  "That admin's current TOTP code (else $TRUNKGUARD_TOTP_CODE, else a prompt)");
  sub->add_flag("--local-root", c.localRoot,
                "Act as root on this machine without an admin code (audited as root)");
}

AdminGate::AdminGate(db::AccountStore& store, std::string dbPath, LocalOrigin origin,
                     auth::LockoutPolicy lockout)
    : store_(store), dbPath_(std::move(dbPath)), origin_(std::move(origin)), lockout_(lockout) {}

bool AdminGate::authorise(const AdminAction& action, const AdminCredentials& c, std::istream& in,
                          std::ostream& err) {
  label_ = action.label;
  if (c.localRoot) {
    if (!origin_.effectiveRoot) {
      audit("uid " + std::to_string(origin_.uid), "refused: --local-root without root", err);
      err << label_ << ": --local-root needs root (effective uid 0); nothing changed\n";
      return false;
    }
    actor_ = "root";
    return true;
  }
  if (action.bootstrap && c.totpUser.empty() && store_.listAdmins().empty() &&
      store_.lastError().empty()) {
    actor_ = "bootstrap";
    return true;
  }
  if (c.totpUser.empty()) {
    audit("-", "refused: no admin credentials", err);
    err << label_
        << ": this action needs an admin: --totp-user ADMIN with that admin's TOTP code "
           "(--totp-code, $TRUNKGUARD_TOTP_CODE or a prompt), or --local-root as root on this "
           "machine; nothing changed\n";
    return false;
  }
  if (!checkCode(c, in, err)) return false;
  actor_ = c.totpUser;
  return true;
}

bool AdminGate::checkCode(const AdminCredentials& c, std::istream& in, std::ostream& err) {
  std::string code = c.totpCode;
  if (code.empty()) {
    if (const char* fromEnv = std::getenv(kCodeVariable)) code = fromEnv;
  }
  if (code.empty() && &in == &std::cin && ::isatty(STDIN_FILENO) == 1) {
    code = promptHidden("TOTP code of " + c.totpUser + ": ", err).value_or("");
  }
  if (code.empty()) {
    audit(c.totpUser, "refused: no TOTP code", err);
    err << label_ << ": no TOTP code for " << c.totpUser << ": give --totp-code, set "
        << kCodeVariable << " or run it on a terminal; nothing changed\n";
    return false;
  }
  const AdminCodeCheck check =
      checkAdminCode(store_, c.totpUser, code, lockout_, nowMs(), std::time(nullptr));
  if (check.accepted) return true;
  audit(c.totpUser, "refused: " + check.why, err);
  // One message for an unknown admin, a wrong, reused or expired code and a locked admin.
  err << label_ << ": the admin code was not accepted (wrong, expired or already used); "
      << "nothing changed\n";
  return false;
}

void AdminGate::finish(int exitCode, std::ostream& err) {
  audit(actor_, exitCode == 0 ? "ok" : "failed (exit " + std::to_string(exitCode) + ")", err);
}

void AdminGate::audit(const std::string& actor, const std::string& result, std::ostream& err) {
  db::AuditRecord r;
  r.timeMs = nowMs();
  r.actor = auth::printableName(actor);  // --totp-user is whatever was typed
  r.action = auth::printableName(label_);
  r.result = result;
  r.uid = origin_.uid;
  r.tty = origin_.tty;
  r.host = origin_.host;
  try {
    db::AuditStore store(dbPath_);
    if (std::string e = store.append(r); !e.empty()) {
      err << "warning: the admin audit row was not written: " << store.lastError() << "\n";
    }
  } catch (const std::exception& e) {  // opening the database
    err << "warning: the admin audit row was not written: " << e.what() << "\n";
  }
}

}  // namespace tg::app
