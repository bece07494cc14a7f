#pragma once

// The call policy's view of the calls it admitted (guard/policy/call_policy.h): each is reported
// answered and ended (the end prices it into the record), and while any is live the engine is
// asked every kCapPollInterval which calls have spent their cap, to end them here or, when
// another worker owns them, to hand them over.

#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "b2bua/call_context.h"
#include "b2bua/call_events.h"
#include "base/timer_queue.h"
#include "guard/policy/call_policy.h"

namespace tg::b2bua {

class PolicyTracker final : public CallObserver {
 public:
  // How often overCap() is asked while calls are tracked: a capped call ends within this much
  // before its paid time runs out.
  static constexpr base::Duration kCapPollInterval = std::chrono::milliseconds(250);

  PolicyTracker(base::TimerQueue& timers, CallTable& calls, B2buaStats& stats)
      : timers_(timers), calls_(calls), stats_(stats) {}
  // The engine is shared and outlives this worker: what it still counts for us is released.
  ~PolicyTracker() override;
  PolicyTracker(const PolicyTracker&) = delete;
  PolicyTracker& operator=(const PolicyTracker&) = delete;

  void setPolicy(guard::policy::CallPolicy* policy) { policy_ = policy; }
  void setForeignCapHandler(std::function<void(std::vector<uint64_t> handles)> handler) {
    foreignCaps_ = std::move(handler);
  }
  // Ends the calls of these policy handles that live here; returns how many.
  size_t endPolicyCalls(const std::vector<uint64_t>& handles, std::string_view reason);

  void onStarted(const CallRecord& call) override;
  void onAnswered(const CallRecord& call) override;
  void onEnding(CallRecord& call) override;

 private:
  void armCapPoll();
  void pollCaps();

  base::TimerQueue& timers_;
  CallTable& calls_;
  B2buaStats& stats_;
  guard::policy::CallPolicy* policy_ = nullptr;
  std::function<void(std::vector<uint64_t>)> foreignCaps_;
  std::unordered_map<uint64_t, uint64_t> policyCalls_;  // policy handle -> call id
  base::TimerId capPoll_ = base::kNoTimer;
};

}  // namespace tg::b2bua
