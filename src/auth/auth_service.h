#pragma once

// Everything the public zone's authentication needs, built from the config in one place, for
// the gateway to own: the account directory (loaded from the database), the digest server, the
// lockout, the password policy, and the two front ends (GatewayAuthenticator for
// public.auth.mode gateway, FailureWatcher for mode pbx).
//
// Workers call gateway() / watcher() on the message path (both thread-safe, no I/O).
// housekeeping() does the SQLite work and must run on a housekeeping thread, about once a
// second: it expires tables, reloads the accounts when the CLI changed them (lifting the locks
// of accounts `account unlock` was run on), and persists account-wide locks.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/account.h"
#include "auth/algorithm_preferences.h"
#include "auth/authenticator.h"
#include "auth/digest_server.h"
#include "auth/failure_watcher.h"
#include "auth/lockout.h"
#include "auth/password_policy.h"
#include "config/config.h"

namespace tg::guard {
class BanList;
class EventSink;
}  // namespace tg::guard

namespace tg::auth {

class AuthService {
 public:
  // Start-up only: throws std::runtime_error when the nonce key file or the database cannot be
  // read. bans, events and store may be null; all must outlive this object. `store` is the
  // process's state store (nonce counts, lockout windows); without one each keeps its own.
  AuthService(const config::Config& config, const base::Clock& clock, guard::BanList* bans,
              guard::EventSink* events, store::Store* store = nullptr);
  ~AuthService();

  config::PublicAuthMode mode() const { return mode_; }
  GatewayAuthenticator& gateway() { return gateway_; }
  FailureWatcher& watcher() { return watcher_; }
  Lockout& lockout() { return lockout_; }
  DigestServer& digest() { return digest_; }
  AlgorithmPreferences& algorithms() { return algorithms_; }
  const AccountDirectory& accounts() const { return accounts_; }

  // Accounts skipped at start-up (unparsable stored networks), for the log.
  const std::vector<std::string>& startupProblems() const { return startupProblems_; }

  // Housekeeping thread only (SQLite). Returns problems worth a log line, among them once a
  // day (the first call, then every 24 hours) each account whose password is inside
  // accounts.password.warn_days of its max_age_days, or past it.
  std::vector<std::string> housekeeping();

 private:
  void reloadAccounts(std::vector<std::string>& problems);
  void reportPasswordExpiry(std::vector<std::string>& problems);

  const base::Clock& clock_;
  config::PublicAuthMode mode_;
  std::unique_ptr<db::AccountStore> store_;
  AccountDirectory accounts_;
  AlgorithmPreferences algorithms_;
  DigestServer digest_;
  Lockout lockout_;
  PasswordPolicy policy_;
  GatewayAuthenticator gateway_;
  FailureWatcher watcher_;
  std::map<std::string, int64_t, std::less<>> unlockedMs_;  // per account, last seen
  base::SystemTime nextExpiryReport_{};                     // epoch: at the first housekeeping
  std::vector<std::string> startupProblems_;
};

// The DigestServer options of a config (reads nonce.secret_file; throws std::runtime_error).
// It accepts every algorithm some account may use.
DigestServerOptions digestOptionsFrom(const config::Config& config);
AlgorithmPreferenceSettings algorithmSettingsFrom(const config::Config& config);

}  // namespace tg::auth
