#include "auth/lockout.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "guard/ban/ban_list.h"
#include "guard/common/source_table.h"
#include "guard/security_event.h"

namespace tg::auth {
namespace {

using std::chrono::seconds;

using std::chrono::milliseconds;

std::string describe(seconds d) { return std::to_string(d.count()) + "s"; }

int64_t msOf(base::Duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

std::unique_ptr<store::MemoryStore> ownStoreUnless(store::Store* shared, const base::Clock& clock,
                                                   size_t cap) {
  if (shared != nullptr) return nullptr;
  // One shard: the cap is exact and the oldest counter is the one forgotten.
  return std::make_unique<store::MemoryStore>(
      clock, store::MemoryStoreOptions{.maxKeys = std::max<size_t>(1, cap), .shards = 1});
}

// The next comma-separated integer of `text` (advanced past it), or nullopt.
std::optional<int64_t> takeInt(std::string_view& text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  if (!text.empty() && text.front() == ',') text.remove_prefix(1);
  return value;
}

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

std::string Lockout::Counter::encode() const {
  std::string out = fmt::format("{},{},{}", lockedUntil, lastFailure, locks);
  for (const int64_t f : failures) fmt::format_to(std::back_inserter(out), ",{}", f);
  return out;
}

std::optional<Lockout::Counter> Lockout::Counter::decode(std::string_view text) {
  Counter c;
  const auto until = takeInt(text);
  const auto last = takeInt(text);
  const auto locks = takeInt(text);
  if (!until || !last || !locks) return std::nullopt;
  c.lockedUntil = *until;
  c.lastFailure = *last;
  c.locks = static_cast<int>(*locks);
  while (!text.empty()) {
    const auto f = takeInt(text);
    if (!f) return std::nullopt;
    c.failures.push_back(*f);
  }
  return c;
}

Lockout::Lockout(const base::Clock& clock, LockoutPolicy policy, guard::BanList* bans,
                 guard::EventSink* events, store::Store* store)
    : clock_(clock),
      bans_(bans),
      events_(events),
      ownAccounts_(ownStoreUnless(store, clock, policy.maxTracked)),
      ownPairs_(ownStoreUnless(store, clock, policy.maxTracked)),
      ownSources_(ownStoreUnless(store, clock, policy.maxTracked)),
      shared_(store),
      policy_(policy) {
  if (shared_ != nullptr && !shared_->completesInline()) {
    throw std::invalid_argument("the lockout needs a store that answers inline");
  }
}

base::SystemTime Lockout::wallAt(base::TimePoint t) const {
  return clock_.wallNow() +
         std::chrono::duration_cast<base::SystemTime::duration>(t - clock_.now());
}

int64_t Lockout::nowMs() const { return msOf(clock_.now().time_since_epoch()); }

LockoutPolicy Lockout::policy() const {
  std::lock_guard lock(mutex_);
  return policy_;
}

store::Store& Lockout::storeOf(Table table) const {
  if (shared_ != nullptr) return *shared_;
  switch (table) {
    case Table::kAccounts:
      return *ownAccounts_;
    case Table::kPairs:
      return *ownPairs_;
    case Table::kSources:
      return *ownSources_;
  }
  return *ownAccounts_;
}

namespace {

// The source part of the pair and source keys: "0.ffff7f000001" for 127.0.0.1 (short enough
// for a string's inline buffer, which matters in the unlock index: one member per pair).
std::string sourcePart(const base::Address& source) {
  const guard::SourceKey k = guard::SourceKey::of(source);
  return fmt::format("{:x}.{:x}", k.high, k.low);
}

constexpr std::string_view kPairPrefix = "lockout:p:";

std::string pairKey(std::string_view account, std::string_view sourcePart) {
  return fmt::format("{}{} {}", kPairPrefix, account, sourcePart);
}

}  // namespace

std::string Lockout::keyOf(Table table, std::string_view account,
                           const base::Address& source) const {
  switch (table) {
    case Table::kAccounts:
      return fmt::format("lockout:a:{}", account);
    case Table::kPairs:
      return pairKey(account, sourcePart(source));
    case Table::kSources:
      return "lockout:s:" + sourcePart(source);
  }
  return {};
}

std::optional<Lockout::Counter> Lockout::read(Table table, const std::string& key) const {
  const auto held = store::answerNow<std::optional<std::string>>(
      [&](store::Done<std::optional<std::string>> d) { storeOf(table).get(key, std::move(d)); });
  return held ? Counter::decode(*held) : std::nullopt;
}

template <typename Change>
auto Lockout::update(Table table, const std::string& key, bool create, Change&& change)
    -> std::optional<decltype(change(std::declval<Counter&>()))> {
  store::Store& s = storeOf(table);
  const LockoutPolicy p = policy();
  // Workers sharing the store may change the same counter at once: compare-and-set, and
  // apply the change again to what moved first.
  for (;;) {
    const auto held = store::answerNow<std::optional<std::string>>(
        [&](store::Done<std::optional<std::string>> d) { s.get(key, std::move(d)); });
    if (!held && !create) return std::nullopt;
    Counter c = held ? Counter::decode(*held).value_or(Counter{}) : Counter{};
    auto answer = change(c);
    const int64_t now = nowMs();
    const auto result = store::answerNow<store::CasResult>([&](store::Done<store::CasResult> d) {
      s.compareAndSet(key, held ? std::optional<std::string_view>(*held) : std::nullopt, c.encode(),
                      keepFor(c, now, p), std::move(d));
    });
    if (result.swapped()) return answer;
  }
}

base::Duration Lockout::keepFor(const Counter& c, int64_t now, const LockoutPolicy& p) const {
  // Kept while locked; escalation is remembered for max_duration after the last lock ends,
  // failures for two windows after the last one.
  const int64_t quietSince = std::max(c.lastFailure, c.lockedUntil);
  const base::Duration keep =
      c.locks > 0 ? base::Duration(p.maxDuration) : base::Duration(p.window) * 2;
  const base::Duration left = milliseconds(quietSince - now) + keep;
  return std::max<base::Duration>(left, milliseconds(1));
}

bool Lockout::isLocked(std::string_view account, const base::Address& source) const {
  const int64_t now = nowMs();
  if (const auto c = read(Table::kAccounts, keyOf(Table::kAccounts, account, source));
      c && now < c->lockedUntil) {
    return true;
  }
  if (!policy().perSource) return false;
  const auto c = read(Table::kPairs, keyOf(Table::kPairs, account, source));
  return c && now < c->lockedUntil;
}

std::optional<seconds> Lockout::countFailure(Counter& c, int threshold, int64_t now,
                                             const LockoutPolicy& p) const {
  c.lastFailure = now;
  if (threshold <= 0 || now < c.lockedUntil) return std::nullopt;  // already locked: no relock
  const int64_t window = msOf(p.window);
  std::erase_if(c.failures, [&](int64_t f) { return now - f >= window; });
  c.failures.push_back(now);
  if (static_cast<int>(c.failures.size()) < threshold) return std::nullopt;
  ++c.locks;
  const seconds d = p.durationFor(c.locks);
  c.lockedUntil = now + msOf(d);
  c.failures.clear();
  return d;
}

FailureOutcome Lockout::recordFailure(std::string_view account, const base::Address& source,
                                      transport::Zone zone, std::string_view reason) {
  const base::TimePoint nowPoint = clock_.now();
  const int64_t now = nowMs();
  const LockoutPolicy p = policy();
  const std::string name = printableName(account);
  FailureOutcome out;
  const int accountThreshold = p.perSource ? p.accountFailures : p.failures;
  if (accountThreshold > 0) {
    const auto locked = update(Table::kAccounts, keyOf(Table::kAccounts, account, source), true,
                               [&](Counter& a) -> std::optional<std::pair<seconds, int>> {
                                 if (auto d = countFailure(a, accountThreshold, now, p))
                                   return std::pair{*d, a.locks};
                                 return std::nullopt;
                               });
    if (locked && *locked) {
      out.locked = out.lockedEverywhere = true;
      out.lockDuration = (*locked)->first;
      std::lock_guard lock(mutex_);
      if (changes_.size() < kMaxPendingChanges) {
        changes_.push_back(
            {std::string(account),
             wallAt(nowPoint + std::chrono::duration_cast<base::Duration>(out.lockDuration)),
             (*locked)->second});
      }
    }
  }
  if (p.perSource) {
    base::Duration pairKept{};
    const auto locked =
        update(Table::kPairs, keyOf(Table::kPairs, account, source), true, [&](Counter& c) {
          auto d = countFailure(c, p.failures, now, p);
          pairKept = keepFor(c, now, p);
          return d;
        });
    if (locked && *locked && !out.locked) {
      out.locked = true;
      out.lockDuration = **locked;
    }
    // The account's per-source counters, for unlock(): each listed (by its source part, the
    // pair key is rebuilt from it) as long as it is kept.
    storeOf(Table::kAccounts)
        .setAdd(fmt::format("lockout:i:{}", account), sourcePart(source), pairKept, nullptr);
  }
  const auto sourceBan =
      update(Table::kSources, keyOf(Table::kSources, account, source), true, [&](Counter& s) {
        if (!countFailure(s, p.sourceFailures, now, p)) return false;
        // The source table only decides when to ask for a ban; BanList escalates it.
        s.lockedUntil = 0;
        s.locks = 0;
        return true;
      });
  const bool ban = sourceBan.value_or(false);
  emit(source, zone, "auth.failure",
       fmt::format("failed authentication for '{}': {}", name, reason), "count");
  if (out.locked) {
    emit(source, zone, "auth.lockout",
         fmt::format("account '{}' locked {} after repeated failures", name,
                     out.lockedEverywhere ? "everywhere" : "for this source"),
         "lock " + describe(out.lockDuration));
  }
  if (ban && bans_ != nullptr) {
    const guard::BanResult r = bans_->ban(
        source, "auth.failures",
        fmt::format("{} failed authentications within {}", p.sourceFailures, describe(p.window)),
        guard::BanOrigin::kAuto, nowPoint);
    out.sourceBanned = r.banned();
    if (r.banned()) {
      emit(source, zone, "auth.failures",
           fmt::format("{} failed authentications within {}, last for '{}'", p.sourceFailures,
                       describe(p.window), name),
           r.duration.count() == 0 ? "ban" : "ban " + describe(r.duration));
    }
  }
  return out;
}

void Lockout::recordSuccess(std::string_view account, const base::Address& source) {
  update(Table::kPairs, keyOf(Table::kPairs, account, source), false, [](Counter& c) {
    c.failures.clear();
    return true;
  });
}

bool Lockout::unlock(std::string_view account) {
  store::Store& accounts = storeOf(Table::kAccounts);
  const std::string indexKey = fmt::format("lockout:i:{}", account);
  const auto members =
      store::answerNow<std::vector<std::string>>([&](store::Done<std::vector<std::string>> d) {
        accounts.setMembers(indexKey, std::move(d));
      });
  bool lifted = false;
  for (const std::string& member : members) {
    // A whole pair key: an index written before members were source parts (a shared store).
    const std::string key = member.starts_with(kPairPrefix) ? member : pairKey(account, member);
    storeOf(Table::kPairs).erase(key, [&](bool erased) { lifted = lifted || erased; });
  }
  accounts.erase(indexKey, nullptr);
  const base::Address none;
  accounts.erase(keyOf(Table::kAccounts, account, none),
                 [&](bool erased) { lifted = lifted || erased; });
  return lifted;
}

void Lockout::restoreAccountLock(std::string_view account, base::SystemTime lockedUntil,
                                 int lockCount) {
  const int64_t now = nowMs();
  const auto left = lockedUntil - clock_.wallNow();
  const base::Address none;
  update(Table::kAccounts, keyOf(Table::kAccounts, account, none), true, [&](Counter& c) {
    c.locks = std::max(c.locks, lockCount);
    c.lastFailure = now;
    if (left > base::SystemTime::duration::zero()) {
      c.lockedUntil = now + msOf(std::chrono::duration_cast<base::Duration>(left));
    }
    return true;
  });
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

void Lockout::expire() {
  for (store::MemoryStore* s : {ownAccounts_.get(), ownPairs_.get(), ownSources_.get()}) {
    if (s != nullptr) s->sweep();
  }
}

size_t Lockout::accountEntries() const { return ownAccounts_ ? ownAccounts_->size() : 0; }
size_t Lockout::pairEntries() const { return ownPairs_ ? ownPairs_->size() : 0; }
size_t Lockout::sourceEntries() const { return ownSources_ ? ownSources_->size() : 0; }

uint64_t Lockout::evictions() const {
  if (shared_ != nullptr) {
    // The process's store holds each table as a key family of its own (see storeFamilies in
    // app/guard_services.cc): one count per family.
    uint64_t n = 0;
    for (const char* family : {"lockout:a:", "lockout:p:", "lockout:s:", "lockout:i:"}) {
      n += shared_->evictions(family);
    }
    return n;
  }
  return ownAccounts_->evictions() + ownPairs_->evictions() + ownSources_->evictions();
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
