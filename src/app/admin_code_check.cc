#include "app/admin_code_check.h"

#include "auth/password_hash.h"
#include "auth/totp.h"
#include "db/account_store.h"
#include "db/database.h"

namespace tg::app {

namespace {

// Counts a failed attempt towards the admin's lock; `why` plus the lock, if one began.
AdminCodeCheck refuse(db::AccountStore& store, const db::AdminRecord& admin, std::string why,
                      const auth::LockoutPolicy& lockout, int64_t nowMs) {
  const std::string& name = admin.name;
  db::AdminLoginState s = admin.login;
  const int64_t windowMs = lockout.window.count() * 1000;
  if (s.failures == 0 || nowMs - s.firstFailureMs > windowMs) {
    s.failures = 0;
    s.firstFailureMs = nowMs;
  }
  // Quiet for max_duration after the last lock ended: escalation starts over (as for phones).
  if (s.lockedUntilMs != 0 && nowMs - s.lockedUntilMs > lockout.maxDuration.count() * 1000) {
    s.lockCount = 0;
  }
  if (++s.failures >= lockout.failures) {
    ++s.lockCount;
    const auto duration = lockout.durationFor(s.lockCount);
    s.lockedUntilMs = nowMs + duration.count() * 1000;
    s.failures = 0;
    s.firstFailureMs = 0;
    why += "; admin locked for " + std::to_string(duration.count()) + "s";
  }
  store.setAdminLogin(name, s);
  return {false, why};
}

AdminCodeCheck check(db::AccountStore& store, const std::string& name,
                     const std::string_view* password, std::string_view code,
                     const auth::LockoutPolicy& lockout, int64_t nowMs, std::time_t now) {
  const auto admin = store.findAdmin(name);
  if (!admin) return {false, "unknown admin"};
  if (admin->login.lockedUntilMs > nowMs) {
    return {false, "admin locked until " +
                       db::formatUtcMillis(db::fromEpochMillis(admin->login.lockedUntilMs))};
  }
  if (password != nullptr) {
    if (admin->passwordHash.empty()) {
      return {false, "no API password set (trunkguard admin passwd " + name + ")"};
    }
    if (!auth::verifyAdminPassword(*password, admin->passwordHash)) {
      return refuse(store, *admin, "wrong password", lockout, nowMs);
    }
  }
  bool advanced = false;
  if (const auto step = auth::verifyTotp(admin->totpSecretHex, now, code, admin->lastTotpStep)) {
    store.advanceTotpStep(name, *step, &advanced);
  }
  if (advanced) {
    if (admin->login.failures != 0) {
      db::AdminLoginState cleared = admin->login;
      cleared.failures = 0;
      cleared.firstFailureMs = 0;
      store.setAdminLogin(name, cleared);
    }
    return {true, {}};
  }
  return refuse(store, *admin, "wrong, expired or reused code", lockout, nowMs);
}

}  // namespace

AdminCodeCheck checkAdminCode(db::AccountStore& store, const std::string& name,
                              std::string_view code, const auth::LockoutPolicy& lockout,
                              int64_t nowMs, std::time_t now) {
  return check(store, name, nullptr, code, lockout, nowMs, now);
}

AdminCodeCheck checkAdminLogin(db::AccountStore& store, const std::string& name,
                               std::string_view password, std::string_view code,
                               const auth::LockoutPolicy& lockout, int64_t nowMs, std::time_t now) {
  return check(store, name, &password, code, lockout, nowMs, now);
}

}  // namespace tg::app
