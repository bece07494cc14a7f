#pragma once

// The state store of one process (the default). Keys are spread over shards, each with its own
// mutex, so workers touching different keys do not wait on each other. Every `done` runs inline,
// on the caller's thread before the operation returns, after the shard's lock is released (so
// it may call the store again).
//
// Expiry runs on base::Clock (tests use base::ManualClock): a read ignores and drops what has
// expired, and sweep() (housekeeping, about once a second) drops the rest.
//
// Bounded memory: at most `maxKeys` keys (split evenly over the shards), and for each key family
// in `families` (keys starting with its prefix) a cap and shards of its own, so a flood of one
// family (user names of a credential-stuffing run) never evicts another's keys (nonce counts,
// lockouts, call counters). A write that adds a key
// to a full shard first drops the expired ones among that shard's kEvictionScan oldest written
// keys (at most one such look a second per shard; sweep() drops the rest), and when none has
// expired evicts, of the kEvictionScan oldest written keys, the one due to expire first (the
// least useful: a lock outlives a failure count), counted in evictions().
// Callers choose what forgetting means for them (a forgotten nonce is answered stale, a
// forgotten failure count starts over). A window keeps at most kMaxWindowEvents events, and a
// set at most kMaxSetMembers members (a new member beyond it is refused: setAdd answers false).

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "store/store.h"

namespace tg::store {

// Keys starting with `prefix` (first matching family wins) held apart, at most `maxKeys`.
struct KeyFamily {
  std::string prefix;
  size_t maxKeys = 0;
};

struct MemoryStoreOptions {
  size_t maxKeys = 1000000;  // the keys of no family
  size_t shards = 64;        // a family gets one per 1,024 keys of its cap, up to this many
};

// Keys hold attacker-chosen text (user names, nonces): a per-store random seed keeps them from
// being aimed at one bucket or one shard.
struct SeededHash {
  using is_transparent = void;
  uint64_t seed = 0;
  size_t operator()(std::string_view s) const;
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(const base::Clock& clock, MemoryStoreOptions options = {},
                       std::vector<KeyFamily> families = {});
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  bool completesInline() const override { return true; }

  void counterAdd(std::string_view key, int64_t delta, int64_t limit, base::Duration ttl,
                  Done<Count> done) override;
  void counterGet(std::string_view key, Done<int64_t> done) override;
  void windowAdd(std::string_view key, base::Duration window, int64_t limit,
                 Done<Count> done) override;
  void windowCount(std::string_view key, base::Duration window, Done<int64_t> done) override;
  void countAll(std::vector<CountStep> steps, CountMode mode, Done<CountAllResult> done) override;
  void sumAdd(std::string_view key, int64_t amount, base::Duration ago, base::Duration bucket,
              base::Duration keep, Done<int64_t> total) override;
  void sumGet(std::string_view key, base::Duration window, Done<int64_t> done) override;
  void setAdd(std::string_view key, std::string_view member, base::Duration ttl,
              Done<bool> added) override;
  void setRemove(std::string_view key, std::string_view member, Done<bool> removed) override;
  void setContains(std::string_view key, std::string_view member, Done<bool> done) override;
  void setMembers(std::string_view key, Done<std::vector<std::string>> done) override;
  void put(std::string_view key, std::string_view value, base::Duration ttl) override;
  void get(std::string_view key, Done<std::optional<std::string>> done) override;
  void compareAndSet(std::string_view key, std::optional<std::string_view> expected,
                     std::string_view value, base::Duration ttl, Done<CasResult> done) override;
  void erase(std::string_view key, Done<bool> erased) override;
  SubscriptionId subscribe(std::string_view channel, Subscriber subscriber) override;
  void unsubscribe(SubscriptionId id) override;
  void publish(std::string_view channel, std::string_view message) override;

  // Drops every expired key and set member; returns the keys dropped. Housekeeping.
  size_t sweep();
  size_t size() const;
  uint64_t evictions() const override;
  uint64_t evictions(std::string_view key) const override;

  static constexpr size_t kMaxWindowEvents = 65536;
  static constexpr size_t kMaxSetMembers = 65536;
  static constexpr size_t kEvictionScan = 32;

 private:
  using Members = std::unordered_map<std::string, base::TimePoint>;  // member -> expiry
  struct Sums {
    base::Duration width{};                                   // of one bucket
    std::deque<std::pair<base::TimePoint, int64_t>> buckets;  // start -> sum, in time order
  };
  using Events = std::deque<base::TimePoint>;
  struct Entry {
    // The large kinds are boxed: most keys hold a counter or a short string (lockout counters,
    // nonce counts), and an unboxed entry would be as large as the largest kind.
    std::variant<int64_t, std::string, std::unique_ptr<Events>, std::unique_ptr<Members>,
                 std::unique_ptr<Sums>>
        value;
    base::TimePoint expires = base::TimePoint::max();
    // The shard's keys in the order they were added, linked through the map's nodes (which
    // never move): the eviction scan starts at the oldest, and no key is held twice.
    std::pair<const std::string, Entry>* older = nullptr;
    std::pair<const std::string, Entry>* newer = nullptr;
  };
  using Hash = SeededHash;
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;
  using Node = Map::value_type;
  struct Shard {
    std::mutex mutex;
    Map entries;
    Node* oldest = nullptr;  // the order of addition (Entry::older / newer)
    Node* newest = nullptr;
    base::TimePoint lastScan{};  // makeRoom's last look for expired keys
    bool scanned = false;
    size_t capacity = 1;
    size_t group = 0;  // 0: no family; i: families[i - 1]
  };
  // The shards of the keys of no family (group 0) or of one family.
  struct Group {
    std::string prefix;
    size_t first = 0;
    size_t count = 1;
  };

  // The value of kind T held by `e`, or nullptr when it holds another kind.
  template <typename T>
  static T* valueIf(const Entry& e);
  template <typename T>
  static T& valueOf(Entry& e) {
    return *valueIf<T>(e);
  }

  Shard& shardOf(std::string_view key) const;
  const Group& groupOf(std::string_view key) const;
  // The live entry of `key`, or nullptr (an expired one is dropped). Caller holds the lock.
  Entry* live(Shard& shard, std::string_view key, base::TimePoint now) const;
  // The entry of `key` holding a value of kind T, created (empty) when absent or of another
  // kind. Caller holds the lock.
  template <typename T>
  Entry& obtain(Shard& shard, std::string_view key, base::TimePoint now);
  void makeRoom(Shard& shard, base::TimePoint now);
  size_t pruneExpired(Shard& shard, base::TimePoint now);
  // Removes the key at `it` from the map and from the order of addition; returns the next.
  static Map::iterator drop(Shard& shard, Map::iterator it);
  static void trimWindow(std::deque<base::TimePoint>& events, base::TimePoint now,
                         base::Duration window);

  // Whether step `step` is over its limit now (no key is created). Caller holds the lock.
  bool over(Shard& shard, const CountStep& step, base::TimePoint now) const;
  // Counts step `step`; returns its value after. Caller holds the lock.
  int64_t count(Shard& shard, const CountStep& step, base::TimePoint now);

  const base::Clock& clock_;
  const Hash hash_;
  std::vector<Group> groups_;  // [0]: no family, then the families in order
  std::unique_ptr<Shard[]> shards_;
  size_t shardCount_;
  std::unique_ptr<std::atomic<uint64_t>[]> evictions_;  // per group

  struct Subscription {
    std::string channel;
    std::shared_ptr<const Subscriber> subscriber;
  };
  mutable std::mutex subscribersMutex_;
  std::map<SubscriptionId, Subscription> subscribers_;
  SubscriptionId nextSubscription_ = 1;
};

}  // namespace tg::store
