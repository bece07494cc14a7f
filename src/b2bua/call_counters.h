#pragma once

// The B2BUA's call counters (B2buaStats), kept from call events.

#include "b2bua/call_context.h"
#include "b2bua/call_events.h"

namespace tg::b2bua {

class CallCounters final : public CallObserver {
 public:
  explicit CallCounters(B2buaStats& stats) : stats_(stats) {}

  void onPolicyDecision(const CallRecord& /*call*/,
                        const guard::policy::Admission& decision) override {
    if (decision.rejected()) return;  // counted by onRejected
    if (decision.shadow) ++stats_.policyShadow;
    if (decision.emergency) ++stats_.emergencyCalls;
  }
  // Also told of a call the policy admitted that another admission filter then refused, or
  // its caller cancelled while a filter decided (disposition failed or cancelled).
  void onRejected(const CallRecord& call) override {
    if (call.disposition == Disposition::kRejected) ++stats_.policyRejected;
  }
  void onStarted(const CallRecord& call) override {
    ++stats_.callsStarted;
    if (call.zoneA == transport::Zone::kPublic) ++stats_.phoneCalls;
    if (call.zoneB == transport::Zone::kPublic) ++stats_.callsToPhones;
  }
  void onAnswered(const CallRecord& /*call*/) override { ++stats_.callsAnswered; }
  void onEnded(const CallRecord& call) override {
    if (call.disposition != Disposition::kAnswered) ++stats_.callsFailed;
    switch (call.endCause) {
      case EndCause::kBanned:
        ++stats_.endedBanned;
        break;
      case EndCause::kAccountLocked:
        ++stats_.endedLocked;
        break;
      case EndCause::kReload:
        ++stats_.endedByReload;
        break;
      default:
        break;
    }
  }

 private:
  B2buaStats& stats_;
};

}  // namespace tg::b2bua
