#pragma once

// The state store shared by the gateways of a cluster (issue 18, docs/cluster.md): the Store
// interface on a Redis server, through hiredis on a thread of its own (redis_link.h).
//
// Every check-and-count is one Lua script (redis_scripts.h) on Redis's clock, every key gets an
// expiry, and every key is prefixed ("tg:" by default) so that a `{...}` hash tag in a key (the
// policy's "policy:{rule|account}:") keeps one account's keys on one slot of a Redis Cluster.
//
// Answers: an operation started on a thread that set a poster (setThreadPost(): the workers
// post to their own loop) is answered there; otherwise on the store's thread. When Redis does
// not answer within the deadline, or is not connected, the operation runs on a local
// MemoryStore instead (fail-safe: limits divided by the number of nodes, or refused with
// refuseOnFailure), so a worker never waits longer than the deadline.
//
// Pub/sub: published through Redis to every node (this one included); while Redis is away,
// published to this node's subscribers only.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "store/memory_store.h"
#include "store/redis_link.h"
#include "store/store.h"

namespace tg::store {

struct RedisStoreOptions {
  redis::LinkOptions link;
  std::string nodeId = "node";    // this gateway, in the members of shared windows
  int nodes = 1;                  // gateways sharing the store: the divisor of local limits
  bool refuseOnFailure = false;   // without Redis: refuse what has a limit instead of counting
                                  // locally
  std::string keyPrefix = "tg:";  // every key and channel
};

class RedisStore final : public Store {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using StateChange = redis::Link::StateChange;

  // How the answers of operations started on the calling thread reach it (a worker: a post to
  // its own loop). An empty one: they run on the store's thread.
  static void setThreadPost(Post post);

  // Connects in the background: until the first connection, operations run locally.
  // `onState` (on the store's thread) hears every change of the connection's state.
  RedisStore(RedisStoreOptions options, const base::Clock& clock, StateChange onState = {});
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  bool completesInline() const override { return false; }

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
  uint64_t evictions() const override { return local_.evictions(); }
  uint64_t evictions(std::string_view key) const override { return local_.evictions(key); }

  // Stops talking to Redis (shutdown, before the loops answers are posted to go away): from
  // then on every operation is answered by the local store.
  void stop() { link_->stop(); }

  // Whether operations go to Redis now (false: they run on the local store).
  bool shared() const { return link_->healthy(); }
  redis::LinkStats stats() const { return link_->stats(); }
  // Operations answered by the local store because Redis did not.
  uint64_t localAnswers() const { return localAnswers_.load(std::memory_order_relaxed); }
  // The local store (housekeeping: sweep it about once a second).
  MemoryStore& local() { return local_; }

 private:
  template <typename T, typename Parse, typename Fallback>
  void call(const redis::Script& script, std::vector<std::string> args, size_t keys, Done<T> done,
            Parse parse, Fallback fallback);
  std::string key(std::string_view k) const { return options_.keyPrefix + std::string(k); }
  std::string member();  // unique among every node's window events
  int64_t localLimit(int64_t limit) const;
  void onMessage(std::string_view channel, std::string_view message);

  const RedisStoreOptions options_;
  MemoryStore local_;
  std::atomic<uint64_t> sequence_{0};
  std::atomic<uint64_t> localAnswers_{0};

  std::mutex subscribersMutex_;
  std::map<SubscriptionId, std::pair<std::string, std::shared_ptr<const Subscriber>>> subscribers_;

  std::unique_ptr<redis::Link> link_;  // last: its thread stops first
};

}  // namespace tg::store
