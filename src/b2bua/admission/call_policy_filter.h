#pragma once

// Admission filter `call_policy`: the toll-fraud call policy (guard/policy/call_policy.h) on a
// call to a provider or from one; calls to registered remote phones are internal and skip it.
// Its switches are the policy's own (`policy.enabled`, `policy.enforce`): in shadow mode the
// engine admits the call (and counts it) and reports what it would have refused, which this
// filter logs, records and passes as a shadow refusal. Its decision is told to the call events
// (onPolicyDecision; a refusal as onRejected, with its CDR), and a call it admitted that does
// not start is given back to the engine in release().

#include "b2bua/admission/call_filter.h"
#include "guard/policy/call_policy.h"

namespace tg::b2bua::admission {

class CallPolicyFilter final : public CallFilter {
 public:
  explicit CallPolicyFilter(AdmissionServices& services) : services_(services) {}
  std::string_view name() const override { return "call_policy"; }
  config::FilterSwitches switches(const config::Config& config) const override;
  Verdict check(CallContext& call) override;
  void release(CallContext& call) override;

 private:
  // How long a call may wait for a shared store's answer before the chain answers 504.
  static constexpr base::Duration kStoreDeadline = std::chrono::seconds(2);

  Verdict defer(CallContext& call, const guard::policy::CallAttempt& attempt);
  Verdict decide(CallContext& call, const guard::policy::CallAttempt& attempt,
                 const guard::policy::Admission& admission);
  Verdict refuse(CallContext& call, const guard::policy::Admission& admission);
  void countCallCodeFailure(const CallContext& call, const std::string& account);
  void recordEvent(const CallContext& call, const guard::policy::Admission& admission,
                   std::string_view action);

  AdmissionServices& services_;
};

}  // namespace tg::b2bua::admission
