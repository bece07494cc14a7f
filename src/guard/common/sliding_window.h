#pragma once

// Small rate counters for per-source state: a few bytes each, no allocation, no clock of their
// own (the caller passes `now`), so that a table of 100k of them stays cheap and testable on
// simulated time.

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "base/clock.h"

namespace tg::guard {

// Two-bucket sliding window (the estimate Cloudflare and Envoy use): the count of the current
// fixed bucket plus the previous bucket's count weighted by how much of it still overlaps the
// window ending now. 16 bytes; exact enough for limits and never resets to zero at a bucket edge
// the way a plain fixed window does (which would let a burst of 2x the limit through).
class SlidingWindow {
 public:
  // Events in the window of length `window` that ends at `now`.
  double estimate(base::TimePoint now, base::Duration window) {
    rotate(now, window);
    const double elapsed = static_cast<double>((now - start_).count());
    const double length = static_cast<double>(window.count());
    const double overlap = length > 0 ? std::clamp(1.0 - elapsed / length, 0.0, 1.0) : 0.0;
    return previous_ * overlap + current_;
  }

  void add(base::TimePoint now, base::Duration window, uint32_t n = 1) {
    rotate(now, window);
    current_ = current_ > UINT32_MAX - n ? UINT32_MAX : current_ + n;
  }

  // Counts one event when that keeps the window at or under `limit`; a refused event is not
  // counted, so a source that keeps sending over its limit is not locked out forever.
  bool tryAdd(base::TimePoint now, base::Duration window, double limit) {
    if (estimate(now, window) + 1 > limit) return false;
    add(now, window);
    return true;
  }

  // When the current bucket began (meaningful once something was counted).
  base::TimePoint bucketStart() const { return start_; }
  bool empty() const { return current_ == 0 && previous_ == 0; }

 private:
  void rotate(base::TimePoint now, base::Duration window) {
    if (empty()) {
      start_ = now;
      return;
    }
    if (now < start_) return;  // a caller's clock went backwards: keep counting
    const base::Duration elapsed = now - start_;
    if (elapsed >= 2 * window) {
      previous_ = 0;
      current_ = 0;
      start_ = now;
    } else if (elapsed >= window) {
      previous_ = current_;
      current_ = 0;
      start_ += window;
    }
  }

  base::TimePoint start_{};
  uint32_t previous_ = 0;
  uint32_t current_ = 0;
};

// Requests per second over a window as the number allowed in one window; at least one, so that
// a small rate on a short window still lets something through.
inline double perWindow(double perSecond, base::Duration window) {
  const double seconds = std::chrono::duration<double>(window).count();
  return std::max(1.0, perSecond * seconds);
}

}  // namespace tg::guard
