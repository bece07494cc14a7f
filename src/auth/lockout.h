#pragma once

// Brute-force lockout for remote phones, shared by both public-zone auth modes (the gateway's
// own digest check and the pass-through watcher of the PBX's answers).
//
// Three counters, each a sliding window of lockout.window:
//   - per account and source (lockout.per_source): `failures` lock the account for that source
//     only, so an attacker cannot lock a user out everywhere;
//   - per account: `account_failures` from all sources lock it everywhere (a distributed guess);
//     without per_source, `failures` do;
//   - per source, over any accounts: `source_failures` ban the source at the perimeter
//     (guard::BanList, rule auth.failures), which then drops it before parsing.
// The n-th lock of one key lasts min(duration * factor^(n-1), max_duration); a key that stays
// quiet for max_duration after its lock ends starts over.
//
// A locked account must answer exactly like a wrong password (callers: see GatewayAuthenticator
// and FailureWatcher); this class only keeps the books. Every failure, lock and ban is a
// guard::SecurityEvent. Every table is capped (lockout.max_tracked, the least recently failed
// forgotten first), so a credential-stuffing run from many sources stays bounded in memory.
//
// Thread-safe (one mutex): failures are rare next to packets, and isLocked() is one lookup.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/clock.h"
#include "config/accounts_config.h"
#include "guard/common/sliding_window.h"
#include "guard/common/source_table.h"
#include "transport/transport.h"

namespace tg::guard {
class BanList;
class EventSink;
}  // namespace tg::guard

namespace tg::auth {

struct LockoutPolicy {
  int failures = 5;
  std::chrono::seconds window{600};
  std::chrono::seconds duration{900};
  double factor = 2.0;
  std::chrono::seconds maxDuration{86400};
  bool perSource = true;
  int accountFailures = 50;
  int sourceFailures = 10;
  size_t maxTracked = 100000;

  static LockoutPolicy from(const config::LockoutSettings& s);
  // How long the n-th lock (n >= 1) lasts.
  std::chrono::seconds durationFor(int lockNumber) const;
};

struct FailureOutcome {
  bool locked = false;  // this failure locked the account (for the source or everywhere)
  bool lockedEverywhere = false;
  std::chrono::seconds lockDuration{0};
  bool sourceBanned = false;  // this failure got the source banned
};

// An account-wide lock, for persisting (db::AccountStore::setLock) so a restart keeps it.
struct AccountLockChange {
  std::string account;
  base::SystemTime lockedUntil;
  int lockCount = 0;
};

class Lockout {
 public:
  // bans and events may be null (tests, or no perimeter); both must outlive this object.
  Lockout(const base::Clock& clock, LockoutPolicy policy, guard::BanList* bans = nullptr,
          guard::EventSink* events = nullptr);

  // Whether `account` is locked for requests from `source` (everywhere, or for that source).
  bool isLocked(std::string_view account, const base::Address& source) const;

  // One failed authentication: wrong password, unknown user, disabled or locked account,
  // source not allowed. `reason` says which, for the event (never the password).
  FailureOutcome recordFailure(std::string_view account, const base::Address& source,
                               transport::Zone zone, std::string_view reason);
  // A success forgets the failures of that account from that source (not a lock).
  void recordSuccess(std::string_view account, const base::Address& source);

  // Lifts every lock of the account and forgets its failures and escalation (`account
  // unlock`). Returns whether there was anything to lift.
  bool unlock(std::string_view account);
  // Restores a persisted account-wide lock (start-up).
  void restoreAccountLock(std::string_view account, base::SystemTime lockedUntil, int lockCount);
  // Account-wide locks made since the last call, for the housekeeping thread to persist
  // (bounded: beyond kMaxPendingChanges the newest are dropped).
  std::vector<AccountLockChange> drainAccountLocks();

  void setPolicy(LockoutPolicy policy);
  // Forgets what no longer matters (housekeeping, about once a second).
  void expire();

  size_t accountEntries() const;
  size_t pairEntries() const;
  size_t sourceEntries() const;

  static constexpr size_t kMaxPendingChanges = 10000;

 private:
  struct Counter {
    guard::SlidingWindow failures;
    base::TimePoint lockedUntil{};
    base::TimePoint lastFailure{};
    int locks = 0;
  };
  struct PairKey {
    std::string account;
    guard::SourceKey source;
    bool operator==(const PairKey&) const = default;
  };
  struct StringHash {
    uint64_t seed;
    size_t operator()(const std::string& s) const;
  };
  struct PairHash {
    StringHash strings;
    guard::SourceKeyHash sources;
    size_t operator()(const PairKey& k) const { return strings(k.account) ^ sources(k.source); }
  };

  // Counts one failure on `c`; returns the lock duration when it reached `threshold`.
  std::optional<std::chrono::seconds> countFailure(Counter& c, int threshold,
                                                   base::TimePoint now) const;
  bool stale(const Counter& c, base::TimePoint now) const;
  void emit(const base::Address& source, transport::Zone zone, std::string rule, std::string reason,
            std::string action) const;
  base::SystemTime wallAt(base::TimePoint t) const;

  const base::Clock& clock_;
  guard::BanList* bans_;
  guard::EventSink* events_;
  mutable std::mutex mutex_;
  LockoutPolicy policy_;
  guard::BoundedTable<std::string, Counter, StringHash> accounts_;
  guard::BoundedTable<PairKey, Counter, PairHash> pairs_;
  guard::SourceTable<Counter> sources_;
  std::vector<AccountLockChange> changes_;
};

// An attacker-chosen user name made safe for logs and events: printable, at most 64 bytes.
std::string printableName(std::string_view name);

}  // namespace tg::auth
