#pragma once

// Admission filter `fraud`: the fraud detectors (guard/fraud, docs/fraud.md) on a call the call
// policy admitted. An outbound call whose detectors' enforcing scores reach fraud.block_score is
// refused 403 with the detector's explanation in a security event; in shadow mode it is logged,
// recorded and passed. An inbound call from a provider is only shown to the detectors (the
// Wangiri memory). Its switches are `fraud.enabled` (each detector has its own enforce).

#include "b2bua/admission/call_filter.h"

namespace tg::b2bua::admission {

class FraudFilter final : public CallFilter {
 public:
  explicit FraudFilter(AdmissionServices& services) : services_(services) {}
  std::string_view name() const override { return "fraud"; }
  config::FilterSwitches switches(const config::Config& config) const override;
  Verdict check(CallContext& call) override;
  void release(CallContext& call) override;

 private:
  void recordEvent(const CallContext& call, std::string rule, std::string reason,
                   std::string_view action);

  AdmissionServices& services_;
};

// The detectors' id of a call: its uuid read as a number (unique across workers).
uint64_t fraudIdOf(std::string_view uuid);

}  // namespace tg::b2bua::admission
