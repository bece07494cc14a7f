#pragma once

// Checks an admin's TOTP code against admin_users, with that admin's lockout: the one rule the
// CLI's admin gate (admin_gate.h) and the admin API's login (admin_api/) share. A code is
// accepted once (its time step is stored); failures count per admin towards a lock
// (auth::LockoutPolicy: the accounts' thresholds and escalation), kept in the database so every
// process sees them. A locked admin's codes are refused like wrong ones.

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "auth/lockout.h"

namespace tg::db {
class AccountStore;
}

namespace tg::app {

struct AdminCodeCheck {
  bool accepted = false;
  // Why not, for the audit only ("unknown admin", "wrong, expired or reused code; admin locked
  // for 900s"); never shown to the one who typed the code.
  std::string why;
};

// nowMs: wall clock in ms since the epoch (locks); now: the same time for the TOTP step.
AdminCodeCheck checkAdminCode(db::AccountStore& store, const std::string& admin,
                              std::string_view code, const auth::LockoutPolicy& lockout,
                              int64_t nowMs, std::time_t now);

// The admin API's login: the admin's password (auth/password_hash.h) and then the code. A wrong
// password counts towards the lock like a wrong code and leaves the code unused; an admin with
// no password yet (`trunkguard admin passwd NAME` sets one) is refused.
AdminCodeCheck checkAdminLogin(db::AccountStore& store, const std::string& admin,
                               std::string_view password, std::string_view code,
                               const auth::LockoutPolicy& lockout, int64_t nowMs, std::time_t now);

}  // namespace tg::app
