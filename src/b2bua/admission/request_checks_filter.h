#pragma once

// Admission filter `request_checks`: what an INVITE must have for the gateway to make a call of
// it: only extensions it supports (Require: 100rel, timer), a body it can carry (SDP or
// multipart), a Contact, and hops left (Max-Forwards above 0).

#include "b2bua/admission/call_filter.h"

namespace tg::b2bua::admission {

class RequestChecksFilter final : public CallFilter {
 public:
  explicit RequestChecksFilter(AdmissionServices& /*services*/) {}
  std::string_view name() const override { return "request_checks"; }
  Verdict check(CallContext& call) override;
};

}  // namespace tg::b2bua::admission
