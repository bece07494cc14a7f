#include "app/worker_plumbing.h"

#include <asio/post.hpp>
#include <functional>

#include "base/random.h"

namespace tg::app {

size_t shardOf(std::string_view callId, size_t count) {
  return count <= 1 ? 0 : std::hash<std::string_view>{}(callId) % count;
}

std::string idOfShard(size_t bytes, Shard shard) {
  for (;;) {
    std::string id = base::randomHex(bytes);
    if (shardOf(id, shard.count) == shard.index) return id;
  }
}

TimerBridge::TimerBridge(asio::io_context& io, base::TimerQueue& timers, const base::Clock& clock)
    : io_(io), timers_(timers), clock_(clock), wakeup_(io) {}

TimerBridge::~TimerBridge() { stop(); }

void TimerBridge::stop() {
  stopped_ = true;
  wakeup_.cancel();
}

void TimerBridge::arm() {
  if (stopped_) return;
  const auto next = timers_.nextDeadline();
  if (!next) return;
  if (*next <= clock_.now()) {
    // Already due (RFC 3261 timers D, I, J and K are zero on TCP and TLS): run it on the next
    // turn of the loop instead of moving the timerfd to now and back for every transaction.
    if (!duePosted_) {
      duePosted_ = true;
      asio::post(io_, [this, alive = std::weak_ptr<char>(alive_)] {
        if (alive.expired()) return;
        duePosted_ = false;
        if (stopped_) return;
        timers_.runDue();
        arm();
      });
    }
    return;
  }
  if (armed_ && armedAt_ <= *next) return;
  armed_ = true;
  armedAt_ = *next;
  wakeup_.expires_at(*next);
  wakeup_.async_wait([this](const std::error_code& ec) {
    if (ec) return;  // re-armed earlier, or stopped
    armed_ = false;
    timers_.runDue();
    arm();
  });
}

Worker* WorkerPeers::other(size_t index) const {
  if (index == shard_.index || index >= workers_.size()) return nullptr;
  return workers_[index];
}

bool WorkerPeers::handOver(std::unique_ptr<sip::Message>& message,
                           const transport::Packet& packet) {
  Worker* owner = other(shardOf(message->callId(), shard_.count));
  if (owner == nullptr) return false;
  transport::Packet meta = packet;  // its bytes already belong to the message
  asio::post(owner->io(), [owner, meta = std::move(meta), m = std::move(message)]() mutable {
    owner->receive(std::move(m), meta, true);
  });
  return true;
}

bool WorkerPeers::hopToOwner(size_t owner, const transport::SendTarget& target,
                             std::string& bytes) {
  Worker* w = other(owner);
  if (w == nullptr) return false;
  asio::post(w->io(), [w, target, bytes = std::move(bytes)]() mutable {
    w->sendOnOwnConnection(target, std::move(bytes));
  });
  return true;
}

void WorkerPeers::tellOthersSendError(const transport::SendTarget& target) {
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* w = other(i);
    if (w == nullptr) continue;
    asio::post(w->io(), [w, target] { w->onSendError(target); });
  }
}

}  // namespace tg::app
