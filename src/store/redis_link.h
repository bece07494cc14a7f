#pragma once

// The connections of one RedisStore to its Redis server, and the thread that runs them
// (docs/cluster.md "Threads"). No SIP worker ever waits on Redis: a worker hands a command over
// (submit() only queues it and wakes this thread) and hears the answer through the command's
// callbacks, which run here.
//
// Two connections: one for commands (pipelined: many in flight, answered in order) and one
// subscribed to the pub/sub channels. hiredis runs asynchronously on this thread's own poll()
// loop (its adapter hooks only record which of read/write it wants).
//
// Fail-safe: every command has a deadline. A command not answered by then gets onFail() (the
// caller falls back to its local answer) and the link turns "slow": new commands fail at once
// until a reply comes back. A command not answered for `stall`, or a failed handshake, drops the
// connection; it is made again with a backoff that doubles from backoffMin to backoffMax.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"

struct redisAsyncContext;
struct redisReply;

namespace tg::store::redis {

struct Script;

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  int database = 0;
  std::string username;  // ACL user; empty: the default user
  std::string password;  // empty: no AUTH. Never logged.
};

struct LinkOptions {
  Endpoint endpoint;
  base::Duration timeout = std::chrono::milliseconds(20);  // per command
  base::Duration stall = std::chrono::seconds(1);          // no answer this long: reconnect
  base::Duration backoffMin = std::chrono::milliseconds(100);
  base::Duration backoffMax = std::chrono::seconds(5);
};

// A command and what to do with its answer. Both callbacks run on the link's thread; exactly one
// of them runs, once (neither when the link is destroyed first).
struct Command {
  std::vector<std::string> args;   // with a script: its keys and arguments after numkeys
  const Script* script = nullptr;  // sent as EVALSHA (EVAL when Redis lacks it)
  size_t keys = 0;                 // with a script: how many of args are keys
  std::function<void(const redisReply&)> onReply;  // an error reply counts as a failure
  std::function<void()> onFail;                    // no answer in time, or no connection
};

enum class LinkState : uint8_t {
  kConnecting,  // no connection yet, or making one again after a failure
  kUp,          // connected and answering in time
  kSlow,        // connected, but a command missed its deadline: commands fail at once
  kDown,        // no connection: waiting to try again
};
std::string_view linkStateName(LinkState s);

struct LinkStats {
  LinkState state = LinkState::kConnecting;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t timedOut = 0;  // missed their deadline
  uint64_t failed = 0;    // failed without being sent, or lost with the connection
  uint64_t connects = 0;  // connections made (command connection)
  uint64_t messages = 0;  // pub/sub messages received
};

class Link {
 public:
  using Message = std::function<void(std::string_view channel, std::string_view message)>;
  // `why` says what changed, without secrets.
  using StateChange = std::function<void(LinkState state, const std::string& why)>;

  // Starts the thread and the first connections. `onMessage` and `onState` run on it.
  Link(LinkOptions options, Message onMessage, StateChange onState);
  ~Link();  // drops both connections; callbacks of commands still in flight do not run
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Drops both connections and stops the thread; from then on every command fails at once (on
  // the caller's thread). Callbacks of commands in flight do not run.
  void stop();

  // Whether a command submitted now is sent (otherwise its onFail runs at once, on the
  // caller's thread). A hint: the state may change before the command reaches the thread.
  bool healthy() const { return state_.load(std::memory_order_relaxed) == LinkState::kUp; }
  // Thread-safe. When the link is not healthy, command.onFail runs before this returns.
  void submit(Command command);
  // Thread-safe: listens on `channel` from now on (again after every reconnect).
  void subscribe(std::string_view channel);
  LinkStats stats() const;

  struct Conn;     // redis_link.cc
  struct Pending;  // redis_link.cc

 private:
  void run();
  void wake();
  void drainQueue();
  void send(Pending* p);
  void connect(Conn& c);
  void handshake(Conn& c);
  void dropConnection(Conn& c, const std::string& why);
  void checkDeadlines(base::TimePoint now);
  void setState(LinkState s, const std::string& why);
  void answered(Pending* p, redisReply* reply);
  void lost(Conn& c);
  void subscribeAll(Conn& c);
  void sendInternal(Conn& c, std::vector<std::string> args,
                    std::function<void(redisReply*)> handle);

  static void replyThunk(redisAsyncContext* ac, void* reply, void* privdata);
  static void subscribeThunk(redisAsyncContext* ac, void* reply, void* privdata);
  static void connectThunk(const redisAsyncContext* ac, int status);
  static void disconnectThunk(const redisAsyncContext* ac, int status);

  const LinkOptions options_;
  const Message onMessage_;
  const StateChange onState_;

  int wakeFd_ = -1;
  std::atomic<LinkState> state_{LinkState::kConnecting};
  std::atomic<bool> stopping_{false};

  std::atomic<uint64_t> sent_{0}, answered_{0}, timedOut_{0}, failed_{0}, connects_{0},
      messages_{0};

  mutable std::mutex mutex_;  // queue_, channels_, channelsChanged_
  std::deque<Command> queue_;
  std::set<std::string, std::less<>> channels_;
  bool channelsChanged_ = false;

  // Link thread only.
  std::unique_ptr<Conn> commands_;
  std::unique_ptr<Conn> subscriber_;
  std::list<Pending*> inflight_;  // in the order sent
  base::TimePoint lastProbe_{};
  std::thread thread_;
};

}  // namespace tg::store::redis
