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
// guard::SecurityEvent.
//
// The counters live in the state store, one key each ("lockout:a:<account>",
// "lockout:p:<account> <source>", "lockout:s:<source>"), holding the lock, the escalation and
// the failure times within the window, changed by compare-and-set so workers sharing the
// store count every failure once. A key expires when it stops mattering (a window after its
// last failure; max_duration after its last lock ends), and "lockout:i:<account>" indexes the
// sources of an account's per-source counters for unlock(). Bounded memory is the store's cap;
// given no store, a Lockout keeps its own, one per table capped at lockout.max_tracked (of the
// oldest counters the one due to expire first is forgotten: a failure count before a lock), so a
// credential-stuffing run stays bounded either way.
//
// Thread-safe: the store is; only the queue of account locks to persist has a mutex.

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
#include "store/memory_store.h"
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
  // bans, events and store may be null (tests, or no perimeter); all must outlive this object.
  // A store must answer inline (std::invalid_argument otherwise: start-up only).
  Lockout(const base::Clock& clock, LockoutPolicy policy, guard::BanList* bans = nullptr,
          guard::EventSink* events = nullptr, store::Store* store = nullptr);

  // Whether `account` is locked for requests from `source` (everywhere, or for that source).
  bool isLocked(std::string_view account, const base::Address& source) const;

  // One failed authentication: wrong password, unknown user, disabled or locked account,
  // source not allowed. `reason` says which, for the event (never the password).
  FailureOutcome recordFailure(std::string_view account, const base::Address& source,
                               transport::Zone zone, std::string_view reason);
  // A success forgets the failures of that account from that source (not a lock).
  void recordSuccess(std::string_view account, const base::Address& source);

  // Lifts every lock of the account and forgets its failures and escalation (`account
  // unlock`). Returns whether the account had failures or a lock on record.
  bool unlock(std::string_view account);
  // Restores a persisted account-wide lock (start-up).
  void restoreAccountLock(std::string_view account, base::SystemTime lockedUntil, int lockCount);
  // Account-wide locks made since the last call, for the housekeeping thread to persist
  // (bounded: beyond kMaxPendingChanges the newest are dropped).
  std::vector<AccountLockChange> drainAccountLocks();

  void setPolicy(LockoutPolicy policy);
  // Forgets what no longer matters from its own stores (housekeeping, about once a second; a
  // shared store is swept by its owner).
  void expire();

  // Counters held in its own stores (0 when it was given the shared one).
  size_t accountEntries() const;
  size_t pairEntries() const;
  size_t sourceEntries() const;
  // Counters forgotten to make room (its own stores, or the shared store's "lockout:" family):
  // the least useful first, a lock last.
  uint64_t evictions() const;

  static constexpr size_t kMaxPendingChanges = 10000;

 private:
  // One counter as stored: times in ms on the monotonic clock.
  struct Counter {
    int64_t lockedUntil = 0;
    int64_t lastFailure = 0;
    int locks = 0;
    std::vector<int64_t> failures;  // within the window, oldest first

    std::string encode() const;
    static std::optional<Counter> decode(std::string_view text);
  };
  enum class Table : uint8_t { kAccounts, kPairs, kSources };

  std::string keyOf(Table table, std::string_view account, const base::Address& source) const;
  store::Store& storeOf(Table table) const;
  std::optional<Counter> read(Table table, const std::string& key) const;
  // Applies `change` to the counter (a fresh one when absent, unless `create` is false) by
  // compare-and-set, and stores it with the expiry its state calls for. Returns the change's
  // answer from the attempt that was stored (nullopt when absent and not created).
  template <typename Change>
  auto update(Table table, const std::string& key, bool create, Change&& change)
      -> std::optional<decltype(change(std::declval<Counter&>()))>;
  // Counts one failure on `c`; returns the lock duration when it reached `threshold`.
  std::optional<std::chrono::seconds> countFailure(Counter& c, int threshold, int64_t now,
                                                   const LockoutPolicy& policy) const;
  // How long a counter stays worth keeping after `now` (the old housekeeping rule).
  base::Duration keepFor(const Counter& c, int64_t now, const LockoutPolicy& policy) const;
  LockoutPolicy policy() const;
  int64_t nowMs() const;
  void emit(const base::Address& source, transport::Zone zone, std::string rule, std::string reason,
            std::string action) const;
  base::SystemTime wallAt(base::TimePoint t) const;

  const base::Clock& clock_;
  guard::BanList* bans_;
  guard::EventSink* events_;
  // Given no store: one per table, so each has its own cap.
  std::unique_ptr<store::MemoryStore> ownAccounts_;
  std::unique_ptr<store::MemoryStore> ownPairs_;
  std::unique_ptr<store::MemoryStore> ownSources_;
  store::Store* shared_;
  mutable std::mutex mutex_;  // policy_ and changes_
  LockoutPolicy policy_;
  std::vector<AccountLockChange> changes_;
};

// An attacker-chosen user name made safe for logs and events: printable, at most 64 bytes.
std::string printableName(std::string_view name);

}  // namespace tg::auth
