#include "auth/auth_service.h"

#include <fmt/format.h>

#include <stdexcept>

#include "db/account_store.h"

namespace tg::auth {

AlgorithmPreferenceSettings algorithmSettingsFrom(const config::Config& config) {
  AlgorithmPreferenceSettings s;
  s.defaults = config.accounts.algorithms;
  s.perAccount = config.accounts.algorithmsByAccount;
  s.learn = config.accounts.learnAlgorithms;
  s.maxTracked = config.accounts.lockout.maxTracked;
  return s;
}

DigestServerOptions digestOptionsFrom(const config::Config& config) {
  DigestServerOptions o;
  if (config.publicZone) o.realm = config.publicZone->auth.realm;
  o.algorithms = acceptedAlgorithms(algorithmSettingsFrom(config));
  o.nonceLifetime = config.accounts.nonce.lifetime;
  o.maxTrackedNonces = config.accounts.nonce.maxTracked;
  if (!config.accounts.nonce.secretFile.empty()) {
    std::string error;
    auto key = loadNonceKey(config.accounts.nonce.secretFile, &error);
    if (!key) throw std::runtime_error("accounts.nonce.secret_file: " + error);
    o.key = std::move(*key);
  }
  return o;
}

AuthService::AuthService(const config::Config& config, const base::Clock& clock,
                         guard::BanList* bans, guard::EventSink* events, store::Store* store)
    : clock_(clock),
      mode_(config.publicZone ? config.publicZone->auth.mode : config::PublicAuthMode::kGateway),
      store_(config.database.path.empty()
                 ? nullptr
                 : std::make_unique<db::AccountStore>(config.database.path)),
      algorithms_(clock, algorithmSettingsFrom(config), store),
      digest_(clock, digestOptionsFrom(config), store),
      lockout_(clock, LockoutPolicy::from(config.accounts.lockout), bans, events, store),
      policy_(config.accounts.password),
      gateway_(accounts_, digest_, lockout_, policy_, clock, &algorithms_),
      watcher_(clock, lockout_) {
  reloadAccounts(startupProblems_);  // a bad row skips that account, not the gateway
  if (store_) {
    store_->changedSinceLastCheck();  // the baseline
    // Persisted account-wide locks survive a restart.
    const int64_t now = db::toEpochMillis(clock_.wallNow());
    for (const db::AccountRecord& r : store_->list()) {
      if (r.lockedUntilMs && *r.lockedUntilMs > now) {
        lockout_.restoreAccountLock(r.username, db::fromEpochMillis(*r.lockedUntilMs), r.lockCount);
      }
    }
  }
}

AuthService::~AuthService() = default;

void AuthService::reloadAccounts(std::vector<std::string>& problems) {
  if (!store_) return;
  const std::vector<db::AccountRecord> records = store_->list();
  std::vector<Account> accounts;
  for (const db::AccountRecord& r : records) {
    std::string why;
    if (auto a = Account::fromRecord(r, &why)) {
      accounts.push_back(std::move(*a));
    } else {
      problems.push_back(why);
    }
    // An `account unlock` since we last looked: lift the in-memory locks too.
    auto [it, inserted] = unlockedMs_.emplace(r.username, r.unlockedMs);
    if (!inserted && it->second != r.unlockedMs) {
      it->second = r.unlockedMs;
      lockout_.unlock(r.username);
    }
  }
  if (!store_->lastError().empty()) problems.push_back(store_->lastError());
  accounts_.replace(std::move(accounts));
}

void AuthService::reportPasswordExpiry(std::vector<std::string>& problems) {
  const base::SystemTime now = clock_.wallNow();
  if (policy_.settings().maxAgeDays <= 0 || now < nextExpiryReport_) return;
  nextExpiryReport_ = now + std::chrono::hours(24);
  for (const auto& [name, account] : *accounts_.snapshot()) {
    const PasswordAge age = policy_.age(account.passwordChanged, now);
    if (age.status == PasswordAge::Status::kWarn) {
      problems.push_back(fmt::format(
          "the password of {} expires in {} day{} (max_age_days {}); set a new one with "
          "`trunkguard account passwd {}`",
          name, age.daysLeft, age.daysLeft == 1 ? "" : "s", policy_.settings().maxAgeDays, name));
    } else if (age.status == PasswordAge::Status::kExpired) {
      problems.push_back(fmt::format("the password of {} has expired (max_age_days {}); {}", name,
                                     policy_.settings().maxAgeDays,
                                     policy_.settings().refuseExpired
                                         ? "its phones are refused until it is changed"
                                         : "still accepted (refuse_expired: false)"));
    }
  }
}

std::vector<std::string> AuthService::housekeeping() {
  std::vector<std::string> problems;
  lockout_.expire();
  digest_.expire();
  watcher_.expire();
  if (!store_) return problems;
  if (store_->changedSinceLastCheck()) reloadAccounts(problems);
  reportPasswordExpiry(problems);
  for (const AccountLockChange& c : lockout_.drainAccountLocks()) {
    const std::string error =
        store_->setLock(c.account, db::toEpochMillis(c.lockedUntil), c.lockCount);
    if (!error.empty()) problems.push_back(store_->lastError());
  }
  return problems;
}

}  // namespace tg::auth
