#include "base/timer_queue.h"

namespace tg::base {

TimerId TimerQueue::schedule(Duration delay, std::function<void()> fn) {
  const TimerId id = nextId_++;
  heap_.push({clock_.now() + delay, id});
  callbacks_.emplace(id, std::move(fn));
  return id;
}

void TimerQueue::cancel(TimerId id) { callbacks_.erase(id); }

void TimerQueue::dropCancelledHead() {
  while (!heap_.empty() && !callbacks_.contains(heap_.top().id)) heap_.pop();
}

size_t TimerQueue::runDue() {
  size_t ran = 0;
  const TimePoint now = clock_.now();
  // Timers scheduled by the callbacks of this pass wait for the next pass, so a callback that
  // re-arms itself with no delay cannot spin here forever.
  const TimerId firstNew = nextId_;
  for (;;) {
    dropCancelledHead();
    if (heap_.empty() || heap_.top().deadline > now || heap_.top().id >= firstNew) break;
    const TimerId id = heap_.top().id;
    heap_.pop();
    auto it = callbacks_.find(id);
    std::function<void()> fn = std::move(it->second);
    callbacks_.erase(it);
    fn();
    ++ran;
  }
  // Cancelled entries still in the heap would otherwise accumulate under churn.
  if (heap_.size() > 1024 && heap_.size() > 4 * callbacks_.size()) {
    std::vector<Entry> live;
    live.reserve(callbacks_.size());
    while (!heap_.empty()) {
      if (callbacks_.contains(heap_.top().id)) live.push_back(heap_.top());
      heap_.pop();
    }
    heap_ = decltype(heap_)(std::greater<>(), std::move(live));
  }
  return ran;
}

std::optional<TimePoint> TimerQueue::nextDeadline() {
  dropCancelledHead();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().deadline;
}

}  // namespace tg::base
