#pragma once

// The state the workers share (issue 11, item 6): counters, sliding windows, sets and
// key-values, each with an expiry, plus compare-and-set and publish/subscribe. MemoryStore keeps
// it in this process; a later RedisStore (issue 18) shares it between gateways.
//
// Why completion callbacks: every operation hands its answer to a `done` callback instead of
// returning it, because a Redis answer needs a round trip and an admission decision must not
// block a worker on it. MemoryStore calls `done` inline, before the operation returns
// (completesInline() says so); RedisStore will call it later on the caller's worker loop.
// Callers whose answer is still synchronous today (lockout, nonce counts, call policy) check
// completesInline() at construction and are handed the MemoryStore until their path can defer.
//
// Keys are plain strings; a component prefixes its own ("lockout:", "nonce:", "policy:").
// A key holds one kind of value; an operation on a key of another kind treats it as absent and
// replaces it (writes) or reports it absent (reads). An empty `done` means "no answer wanted".

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace tg::store {

template <typename T>
using Done = std::function<void(T)>;

// No expiry.
inline constexpr base::Duration kForever = base::Duration::zero();

// The answer of a counting operation.
struct Count {
  bool counted = false;  // false: the limit refused it, nothing changed
  int64_t value = 0;     // the counter, or the events in the window, after the operation
};

enum class CasOutcome : uint8_t {
  kSwapped,   // the value was `expected` (or absent when expected was nullopt) and is now set
  kMismatch,  // it was something else: nothing changed
};
// One step of countAll(): a counter raised by `delta` (limit: the most it may reach; `span`: its
// ttl, kForever keeps its expiry) or a sliding window given one event now (limit: the most events
// the window may hold; `span`: the window's length). A limit of 0 or less is no limit.
struct CountStep {
  enum class Kind : uint8_t { kCounter, kWindow };
  Kind kind = Kind::kCounter;
  std::string key;
  int64_t limit = 0;
  base::Duration span{};
  int64_t delta = 1;  // counters only; positive
};

enum class CountMode : uint8_t {
  kAllOrNothing,  // count every step when none is over its limit, otherwise none
  kCheckOnly,     // count nothing: only say which step would be over
  kAlways,        // count every step, over or not (shadow mode), and say which was over
};

struct CountAllResult {
  bool counted = false;         // the steps were counted
  int refused = -1;             // the first step over its limit (by index), -1 when none
  std::vector<int64_t> values;  // each step's counter or window events, after the operation
};

struct CasResult {
  CasOutcome outcome = CasOutcome::kMismatch;
  std::optional<std::string> current;  // the value now held (after a swap: the new one)
  bool swapped() const { return outcome == CasOutcome::kSwapped; }
};

// Called with (channel, message). MemoryStore calls subscribers on the publisher's thread,
// inside publish() and outside every store lock; RedisStore will call them on its connection's
// thread. Either way a subscriber must be quick and thread-safe, and hand real work to its own
// thread or worker.
using Subscriber = std::function<void(std::string_view channel, std::string_view message)>;
using SubscriptionId = uint64_t;

class Store {
 public:
  virtual ~Store() = default;

  // Whether every `done` has run by the time the operation returns.
  virtual bool completesInline() const = 0;

  // --- counters: an integer that never goes below zero ---
  // Adds `delta`. A positive delta that would take the counter above `limit` (> 0) is refused.
  // `ttl` (> 0) sets the key to expire that long after this write; kForever keeps its expiry.
  virtual void counterAdd(std::string_view key, int64_t delta, int64_t limit, base::Duration ttl,
                          Done<Count> done) = 0;
  virtual void counterGet(std::string_view key, Done<int64_t> done) = 0;

  // --- sliding windows: the events of the last `window` ---
  // Counts one event now unless `limit` (> 0) events are already in the window (check and count
  // are one step). The key expires a window after its last event.
  virtual void windowAdd(std::string_view key, base::Duration window, int64_t limit,
                         Done<Count> done) = 0;
  virtual void windowCount(std::string_view key, base::Duration window, Done<int64_t> done) = 0;

  // --- several counters and windows checked and counted as one step (call admission) ---
  // Either every step is counted or none (kAllOrNothing), so two gateways admitting at once
  // cannot both take the last place. RedisStore runs it as one Lua script, so the keys of one
  // call must share a hash slot (a `{...}` hash tag).
  virtual void countAll(std::vector<CountStep> steps, CountMode mode,
                        Done<CountAllResult> done) = 0;

  // --- sums in time buckets: amounts (spend, in integer units) summed over a window ---
  // Adds `amount` to the bucket (`bucket` wide) holding the time `ago` before now (a restart
  // counts again what was spent before it). Buckets whose end is more than `keep` old are
  // dropped, and the key expires `keep` after its newest bucket ends.
  virtual void sumAdd(std::string_view key, int64_t amount, base::Duration ago,
                      base::Duration bucket, base::Duration keep, Done<int64_t> total) = 0;
  // The amounts of the buckets that ended less than `window` ago (a bucket counts as a whole
  // until all of it has left the window: a cap may hold up to a bucket longer, never shorter).
  virtual void sumGet(std::string_view key, base::Duration window, Done<int64_t> done) = 0;

  // --- sets: members that expire one by one (ttl kForever: until removed) ---
  virtual void setAdd(std::string_view key, std::string_view member, base::Duration ttl,
                      Done<bool> added) = 0;
  virtual void setRemove(std::string_view key, std::string_view member, Done<bool> removed) = 0;
  virtual void setContains(std::string_view key, std::string_view member, Done<bool> done) = 0;
  virtual void setMembers(std::string_view key, Done<std::vector<std::string>> done) = 0;

  // --- key-values ---
  virtual void put(std::string_view key, std::string_view value, base::Duration ttl) = 0;
  virtual void get(std::string_view key, Done<std::optional<std::string>> done) = 0;
  // Sets `value` only when the key holds `expected` (nullopt: only when absent).
  virtual void compareAndSet(std::string_view key, std::optional<std::string_view> expected,
                             std::string_view value, base::Duration ttl, Done<CasResult> done) = 0;

  // --- any kind ---
  virtual void erase(std::string_view key, Done<bool> erased) = 0;

  // --- publish/subscribe ---
  virtual SubscriptionId subscribe(std::string_view channel, Subscriber subscriber) = 0;
  virtual void unsubscribe(SubscriptionId id) = 0;
  virtual void publish(std::string_view channel, std::string_view message) = 0;

  // Keys dropped before their expiry to stay within a memory cap, since start. A caller that
  // reads an absent key as "never seen" (nonce counts) checks it after such a read.
  virtual uint64_t evictions() const = 0;
  // The same among the keys that share a cap with `key` (its key family, when the store caps
  // families apart; otherwise every key).
  virtual uint64_t evictions(std::string_view key) const = 0;
};

// The answer of an operation on a store that completesInline(), for callers that cannot defer
// yet: `op` is called with the `done` to pass on. A store that did not answer inline yields T{}.
template <typename T, typename Op>
T answerNow(Op&& op) {
  std::optional<T> answer;
  op([&answer](T value) { answer = std::move(value); });
  return answer ? std::move(*answer) : T{};
}

}  // namespace tg::store
