#pragma once

// Time as the product sees it. Everything that waits or expires takes a Clock so that tests run
// on simulated time (ARCHITECTURE.md "Time").

#include <chrono>
#include <cstdint>

namespace tg::base {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;
using SystemTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for timers and windows.
  virtual TimePoint now() const = 0;
  // Wall-clock time for records (CDRs, events).
  virtual SystemTime wallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  SystemTime wallNow() const override { return std::chrono::system_clock::now(); }
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that only moves when told to: the basis of every timing test.
class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  SystemTime wallNow() const override { return wallStart_ + (now_ - TimePoint{}); }
  void advance(Duration d) { now_ += d; }

 private:
  TimePoint now_{};
  SystemTime wallStart_ = SystemTime{} + std::chrono::hours(24 * 365 * 56);  // ~2026
};

}  // namespace tg::base
