#pragma once

// Admission filter `numbers`: the parties of the call are named well enough to check them: a
// dialled number in the Request-URI, and a Privacy header (RFC 3323) that parses, since a
// malformed one is the sender's error, never a wish for anonymity (caller_identity.h). Whether
// the caller ID is one of ours, and who may call in, is the call policy's (`policy.caller_id`,
// `policy.inbound`).

#include "b2bua/admission/call_filter.h"

namespace tg::b2bua::admission {

class NumbersFilter final : public CallFilter {
 public:
  explicit NumbersFilter(AdmissionServices& /*services*/) {}
  std::string_view name() const override { return "numbers"; }
  Verdict check(CallContext& call) override;
};

}  // namespace tg::b2bua::admission
