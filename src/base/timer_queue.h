#pragma once

// Timers for one worker: a min-heap of deadlines with cancellation by id. The event loop arms a
// single OS timer at nextDeadline() and calls runDue(); tests call runDue() after advancing a
// ManualClock. Callbacks may schedule and cancel timers freely.

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "base/clock.h"

namespace tg::base {

using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

class TimerQueue {
 public:
  explicit TimerQueue(const Clock& clock) : clock_(clock) {}

  TimerId schedule(Duration delay, std::function<void()> fn);
  // Cancelling an unknown, fired or already cancelled id is a no-op.
  void cancel(TimerId id);
  // Runs every timer whose deadline has passed; returns how many ran.
  size_t runDue();
  std::optional<TimePoint> nextDeadline();
  size_t pending() const { return callbacks_.size(); }
  const Clock& clock() const { return clock_; }

 private:
  struct Entry {
    TimePoint deadline;
    TimerId id;
    bool operator>(const Entry& o) const {
      return deadline != o.deadline ? deadline > o.deadline : id > o.id;
    }
  };
  void dropCancelledHead();

  const Clock& clock_;
  TimerId nextId_ = 1;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::unordered_map<TimerId, std::function<void()>> callbacks_;
};

}  // namespace tg::base
