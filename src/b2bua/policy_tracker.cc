#include "b2bua/policy_tracker.h"

namespace tg::b2bua {

PolicyTracker::~PolicyTracker() {
  timers_.cancel(capPoll_);
  if (policy_ == nullptr) return;
  for (const auto& [handle, call] : policyCalls_) policy_->ended(handle, timers_.clock().now());
}

void PolicyTracker::onStarted(const CallRecord& call) {
  if (call.policyHandle == 0) return;
  policyCalls_[call.policyHandle] = call.callId;
  armCapPoll();
}

void PolicyTracker::onAnswered(const CallRecord& call) {
  if (policy_ != nullptr && call.policyHandle != 0) {
    policy_->answered(call.policyHandle, call.answeredMono);
  }
}

void PolicyTracker::onEnding(CallRecord& call) {
  if (policy_ == nullptr || call.policyHandle == 0) return;
  call.cost = policy_->ended(call.policyHandle, timers_.clock().now());
  policyCalls_.erase(call.policyHandle);
}

void PolicyTracker::armCapPoll() {
  if (capPoll_ != base::kNoTimer || policy_ == nullptr) return;
  capPoll_ = timers_.schedule(kCapPollInterval, [this] {
    capPoll_ = base::kNoTimer;
    pollCaps();
  });
}

void PolicyTracker::pollCaps() {
  std::vector<uint64_t> handles = policy_->overCap(timers_.clock().now(), kCapPollInterval);
  std::vector<uint64_t> foreign;
  for (const uint64_t h : handles) {
    if (!policyCalls_.contains(h)) foreign.push_back(h);
  }
  endPolicyCalls(handles, "spend cap reached");
  if (!foreign.empty() && foreignCaps_) foreignCaps_(std::move(foreign));
  // Only while calls are tracked: an idle gateway (and a drained test) has no timer pending.
  if (!policyCalls_.empty()) armCapPoll();
}

size_t PolicyTracker::endPolicyCalls(const std::vector<uint64_t>& handles,
                                     std::string_view reason) {
  size_t ended = 0;
  for (const uint64_t h : handles) {
    auto it = policyCalls_.find(h);
    if (it == policyCalls_.end()) continue;
    const uint64_t id = it->second;
    if (calls_.endCall(id, EndCause::kSpendCap, reason)) {
      ++ended;
      ++stats_.policyEnded;
    }
  }
  return ended;
}

}  // namespace tg::b2bua
