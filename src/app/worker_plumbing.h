#pragma once

// The plumbing under one worker's message path (docs/architecture.md "Threads"), apart from the
// path itself (inbound_path.h): the bridge from the worker's base::TimerQueue to its asio loop,
// and what crosses between workers (a message handed to the worker that owns its call, a write
// hopped to the worker that owns a TCP or TLS connection, a send error told to every worker).

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/timer_queue.h"
#include "sip/message.h"
#include "transport/transport.h"

namespace tg::app {

// Which worker this is among `count`: every call lives on the worker its Call-ID hashes to, on
// both legs.
struct Shard {
  size_t index = 0;
  size_t count = 1;
};

// The worker that owns every message of a dialog with this Call-ID, and the call with this
// uuid.
size_t shardOf(std::string_view callId, size_t count);
// `bytes` random bytes in hex that shardOf() maps to `shard`: the Call-IDs of the B legs and
// the call uuids a worker makes, so that messages and call control reach it.
std::string idOfShard(size_t bytes, Shard shard);

// Runs a worker's timer queue on its loop: one asio timer at the queue's next deadline, and a
// posted run for timers already due. Call arm() after anything that may have scheduled one.
class TimerBridge {
 public:
  TimerBridge(asio::io_context& io, base::TimerQueue& timers, const base::Clock& clock);
  ~TimerBridge();
  TimerBridge(const TimerBridge&) = delete;
  TimerBridge& operator=(const TimerBridge&) = delete;

  void arm();
  // No timer fires after this; arm() does nothing any more.
  void stop();

 private:
  asio::io_context& io_;
  base::TimerQueue& timers_;
  const base::Clock& clock_;
  asio::steady_timer wakeup_;
  bool armed_ = false;
  base::TimePoint armedAt_{};
  bool duePosted_ = false;  // a run of already-due timers is posted
  bool stopped_ = false;
  // Handlers posted by the bridge hold a weak reference: they do nothing once it is gone.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

// What one worker offers the others. The plumbing calls these on the worker's own thread
// (posted to its loop).
class Worker {
 public:
  virtual asio::io_context& io() = 0;
  // A parsed, validated message the guard let through, for this worker's transaction layer.
  // `handedOver`: another worker received it (this one owns its Call-ID).
  virtual void receive(std::unique_ptr<sip::Message> message, const transport::Packet& packet,
                       bool handedOver) = 0;
  // Whether the call with `callId` has a leg in `zone` whose own tag is `tag` (a dialog this
  // worker knows, not just a To tag anyone can write).
  virtual bool knowsDialog(transport::Zone zone, std::string_view callId,
                           std::string_view tag) const = 0;
  // Writes on a TCP or TLS connection this worker owns.
  virtual void sendOnOwnConnection(const transport::SendTarget& target, std::string bytes) = 0;
  // A connection failed to deliver to `target`: the client transactions waiting there fail.
  virtual void onSendError(const transport::SendTarget& target) = 0;

 protected:
  ~Worker() = default;
};

// The workers as one of them sees them. With a single worker nothing crosses.
class WorkerPeers {
 public:
  explicit WorkerPeers(Shard shard) : shard_(shard) {}

  // The workers, indexed by shard (this one included), set once before they start.
  void set(std::vector<Worker*> workers) { workers_ = std::move(workers); }
  const Shard& shard() const { return shard_; }

  // When `message` belongs to another worker's call, posts it there with the packet it came in
  // and returns true; false (message untouched) when it belongs here.
  bool handOver(std::unique_ptr<sip::Message>& message, const transport::Packet& packet);
  // When `owner` (of a TCP or TLS connection) is another worker, posts the write there and
  // returns true; false (bytes untouched) when this worker writes it.
  bool hopToOwner(size_t owner, const transport::SendTarget& target, std::string& bytes);
  // A connection this worker owns failed to deliver: tells every other worker.
  void tellOthersSendError(const transport::SendTarget& target);
  // Whether a message with this Call-ID belongs to another worker's call.
  bool ownedElsewhere(std::string_view callId) const {
    return other(shardOf(callId, shard_.count)) != nullptr;
  }
  // Whether several workers share the connections (sends may need a hop).
  bool several() const { return workers_.size() > 1; }

 private:
  Worker* other(size_t index) const;

  Shard shard_;
  std::vector<Worker*> workers_;
};

}  // namespace tg::app
