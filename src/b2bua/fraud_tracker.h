#pragma once

// The fraud detectors' view of the calls this worker carries (guard/fraud, docs/fraud.md): a
// call observer that tells them when a call is answered and when it ends, and, once a second,
// ends the live calls of accounts they have blocked since (EndCause::kFraud). The detectors are
// shared by the workers; each worker takes only the calls it owns.

#include <chrono>
#include <cstdint>
#include <unordered_map>

#include "b2bua/call_context.h"
#include "b2bua/call_events.h"
#include "base/timer_queue.h"

namespace tg::guard::fraud {
class FraudDetector;
}

namespace tg::b2bua {

class FraudTracker final : public CallObserver {
 public:
  static constexpr base::Duration kSweepInterval = std::chrono::seconds(1);

  FraudTracker(base::TimerQueue& timers, CallTable& calls) : timers_(timers), calls_(calls) {}
  ~FraudTracker() override;
  FraudTracker(const FraudTracker&) = delete;
  FraudTracker& operator=(const FraudTracker&) = delete;

  void setDetector(guard::fraud::FraudDetector* detector);

  void onStarted(const CallRecord& call) override;
  void onAnswered(const CallRecord& call) override;
  void onEnded(const CallRecord& call) override;

 private:
  void sweep();

  base::TimerQueue& timers_;
  CallTable& calls_;
  guard::fraud::FraudDetector* detector_ = nullptr;
  std::unordered_map<uint64_t, uint64_t> live_;  // the detectors' id -> this worker's call id
  base::TimerId sweep_ = base::kNoTimer;
};

}  // namespace tg::b2bua
