#include "b2bua/fraud_tracker.h"

#include "b2bua/admission/fraud_filter.h"
#include "base/log.h"
#include "guard/fraud/fraud_detector.h"

namespace tg::b2bua {

FraudTracker::~FraudTracker() { timers_.cancel(sweep_); }

void FraudTracker::setDetector(guard::fraud::FraudDetector* detector) {
  detector_ = detector;
  timers_.cancel(sweep_);
  sweep_ = base::kNoTimer;
  if (detector_ != nullptr) sweep_ = timers_.schedule(kSweepInterval, [this] { sweep(); });
}

void FraudTracker::onStarted(const CallRecord& call) {
  if (detector_ != nullptr) live_[admission::fraudIdOf(call.uuid)] = call.callId;
}

void FraudTracker::onAnswered(const CallRecord& call) {
  if (detector_ != nullptr)
    detector_->answered(admission::fraudIdOf(call.uuid), timers_.clock().now());
}

void FraudTracker::onEnded(const CallRecord& call) {
  if (detector_ == nullptr) return;
  const uint64_t id = admission::fraudIdOf(call.uuid);
  live_.erase(id);
  detector_->ended(id, timers_.clock().now());
}

void FraudTracker::sweep() {
  sweep_ = timers_.schedule(kSweepInterval, [this] { sweep(); });
  if (live_.empty()) return;
  const std::vector<uint64_t> ids =
      detector_->takeCallsToEnd([this](uint64_t id) { return live_.count(id) != 0; });
  for (uint64_t id : ids) {
    const auto it = live_.find(id);
    if (it == live_.end()) continue;
    TG_LOG(kB2bua, warn, "call {} ended: the fraud detectors blocked its account", it->second);
    calls_.endCall(it->second, EndCause::kFraud, "fraud: account blocked");
  }
}

}  // namespace tg::b2bua
