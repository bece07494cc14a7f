#include "auth/lockout.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/random.h"
#include "guard/ban/ban_list.h"
#include "guard/security_event.h"

namespace tg::auth {
namespace {

using std::chrono::seconds;

std::string describe(seconds d) { return std::to_string(d.count()) + "s"; }

}  // namespace

std::string printableName(std::string_view name) {
  std::string out;
  for (const char c : name.substr(0, 64)) {
    const auto b = static_cast<unsigned char>(c);
    out += (b < 0x20 || b >= 0x7f) ? '?' : c;
  }
  if (name.size() > 64) out += "...";
  return out;
}

LockoutPolicy LockoutPolicy::from(const config::LockoutSettings& s) {
  LockoutPolicy p;
  p.failures = s.failures;
  p.window = s.window;
  p.duration = s.duration;
  p.factor = s.factor;
  p.maxDuration = s.maxDuration;
  p.perSource = s.perSource;
  p.accountFailures = s.accountFailures;
  p.sourceFailures = s.sourceFailures;
  p.maxTracked = s.maxTracked;
  return p;
}

seconds LockoutPolicy::durationFor(int lockNumber) const {
  const double grown =
      static_cast<double>(duration.count()) * std::pow(factor, std::max(0, lockNumber - 1));
  const double capped = std::min(grown, static_cast<double>(maxDuration.count()));
  return seconds(static_cast<int64_t>(capped));
}

size_t Lockout::StringHash::operator()(const std::string& s) const {
  // FNV-1a from a per-table seed, then a finalizer: names are attacker-chosen, and a fixed
  // hash would let them be aimed at one bucket.
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return guard::SourceKeyHash::mix(h);
}

Lockout::Lockout(const base::Clock& clock, LockoutPolicy policy, guard::BanList* bans,
                 guard::EventSink* events)
    : clock_(clock),
      bans_(bans),
      events_(events),
      policy_(policy),
      accounts_(policy.maxTracked, StringHash{base::randomU64()}),
      pairs_(policy.maxTracked, PairHash{StringHash{base::randomU64()}, {}}),
      sources_(policy.maxTracked) {}

base::SystemTime Lockout::wallAt(base::TimePoint t) const {
  return clock_.wallNow() +
         std::chrono::duration_cast<base::SystemTime::duration>(t - clock_.now());
}

bool Lockout::isLocked(std::string_view account, const base::Address& source) const {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  const std::string name(account);
  if (const Counter* c = accounts_.peek(name); c != nullptr && now < c->lockedUntil) return true;
  if (!policy_.perSource) return false;
  const Counter* c = pairs_.peek(PairKey{name, guard::SourceKey::of(source)});
  return c != nullptr && now < c->lockedUntil;
}

std::optional<seconds> Lockout::countFailure(Counter& c, int threshold, base::TimePoint now) const {
  c.lastFailure = now;
  if (threshold <= 0 || now < c.lockedUntil) return std::nullopt;  // already locked: no relock
  c.failures.add(now, policy_.window);
  if (c.failures.estimate(now, policy_.window) < threshold) return std::nullopt;
  ++c.locks;
  const seconds d = policy_.durationFor(c.locks);
  c.lockedUntil = now + d;
  c.failures = {};
  return d;
}

FailureOutcome Lockout::recordFailure(std::string_view account, const base::Address& source,
                                      transport::Zone zone, std::string_view reason) {
  const base::TimePoint now = clock_.now();
  const std::string name = printableName(account);
  FailureOutcome out;
  bool ban = false;
  {
    std::lock_guard lock(mutex_);
    const std::string key(account);
    const int accountThreshold = policy_.perSource ? policy_.accountFailures : policy_.failures;
    if (accountThreshold > 0) {
      Counter& a = accounts_.findOrInsert(key);
      if (auto d = countFailure(a, accountThreshold, now)) {
        out.locked = out.lockedEverywhere = true;
        out.lockDuration = *d;
        if (changes_.size() < kMaxPendingChanges) {
          changes_.push_back({key, wallAt(a.lockedUntil), a.locks});
        }
      }
    }
    if (policy_.perSource) {
      Counter& p = pairs_.findOrInsert(PairKey{key, guard::SourceKey::of(source)});
      if (auto d = countFailure(p, policy_.failures, now); d && !out.locked) {
        out.locked = true;
        out.lockDuration = *d;
      }
    }
    Counter& s = sources_.findOrInsert(guard::SourceKey::of(source));
    if (countFailure(s, policy_.sourceFailures, now)) {
      // The source table only decides when to ask for a ban; BanList escalates it.
      s.lockedUntil = {};
      s.locks = 0;
      ban = true;
    }
  }
  emit(source, zone, "auth.failure",
       fmt::format("failed authentication for '{}': {}", name, reason), "count");
  if (out.locked) {
    emit(source, zone, "auth.lockout",
         fmt::format("account '{}' locked {} after repeated failures", name,
                     out.lockedEverywhere ? "everywhere" : "for this source"),
         "lock " + describe(out.lockDuration));
  }
  if (ban && bans_ != nullptr) {
    const guard::BanResult r =
        bans_->ban(source, "auth.failures",
                   fmt::format("{} failed authentications within {}", policy_.sourceFailures,
                               describe(policy_.window)),
                   guard::BanOrigin::kAuto, now);
    out.sourceBanned = r.banned();
    if (r.banned()) {
      emit(source, zone, "auth.failures",
           fmt::format("{} failed authentications within {}, last for '{}'", policy_.sourceFailures,
                       describe(policy_.window), name),
           r.duration.count() == 0 ? "ban" : "ban " + describe(r.duration));
    }
  }
  return out;
}

void Lockout::recordSuccess(std::string_view account, const base::Address& source) {
  std::lock_guard lock(mutex_);
  if (Counter* p = pairs_.find(PairKey{std::string(account), guard::SourceKey::of(source)})) {
    p->failures = {};
  }
}

bool Lockout::unlock(std::string_view account) {
  std::lock_guard lock(mutex_);
  const std::string key(account);
  bool lifted = accounts_.erase(key);
  lifted = pairs_.eraseIf([&](const PairKey& k, const Counter&) { return k.account == key; }) > 0 ||
           lifted;
  return lifted;
}

void Lockout::restoreAccountLock(std::string_view account, base::SystemTime lockedUntil,
                                 int lockCount) {
  const base::TimePoint now = clock_.now();
  const auto left = lockedUntil - clock_.wallNow();
  std::lock_guard lock(mutex_);
  Counter& c = accounts_.findOrInsert(std::string(account));
  c.locks = std::max(c.locks, lockCount);
  c.lastFailure = now;
  if (left > base::SystemTime::duration::zero()) {
    c.lockedUntil = now + std::chrono::duration_cast<base::Duration>(left);
  }
}

std::vector<AccountLockChange> Lockout::drainAccountLocks() {
  std::lock_guard lock(mutex_);
  return std::exchange(changes_, {});
}

void Lockout::setPolicy(LockoutPolicy policy) {
  std::lock_guard lock(mutex_);
  policy.maxTracked = policy_.maxTracked;  // the tables keep their capacity until restart
  policy_ = policy;
}

bool Lockout::stale(const Counter& c, base::TimePoint now) const {
  if (now < c.lockedUntil) return false;
  const base::TimePoint quietSince = std::max(c.lastFailure, c.lockedUntil);
  // Escalation is remembered for max_duration after the last lock ends.
  const base::Duration keep =
      c.locks > 0 ? base::Duration(policy_.maxDuration) : base::Duration(policy_.window) * 2;
  return now - quietSince >= keep;
}

void Lockout::expire() {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  accounts_.eraseIf([&](const std::string&, const Counter& c) { return stale(c, now); });
  pairs_.eraseIf([&](const PairKey&, const Counter& c) { return stale(c, now); });
  // Source entries never lock (BanList does), so the least recently failed are the oldest.
  sources_.dropStale([&](const Counter& c) { return stale(c, now); });
}

size_t Lockout::accountEntries() const {
  std::lock_guard lock(mutex_);
  return accounts_.size();
}
size_t Lockout::pairEntries() const {
  std::lock_guard lock(mutex_);
  return pairs_.size();
}
size_t Lockout::sourceEntries() const {
  std::lock_guard lock(mutex_);
  return sources_.size();
}

void Lockout::emit(const base::Address& source, transport::Zone zone, std::string rule,
                   std::string reason, std::string action) const {
  if (events_ == nullptr) return;
  guard::SecurityEvent e;
  e.time = clock_.wallNow();
  e.zone = zone;
  e.source = source;
  e.rule = std::move(rule);
  e.reason = std::move(reason);
  e.action = std::move(action);
  events_->record(std::move(e));
}

}  // namespace tg::auth
