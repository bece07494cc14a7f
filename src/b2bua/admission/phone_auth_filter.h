#pragma once

// Admission filter `phone_auth`: a remote phone's INVITE (public zone) proves its account.
// With public.auth.mode gateway trunkguard checks the digest answer and challenges; in pbx mode
// the PBX challenges and trunkguard keeps the books on the answers (auth::FailureWatcher). The
// account learnt goes into the call.

#include "b2bua/admission/call_filter.h"

namespace tg::b2bua::admission {

class PhoneAuthFilter final : public CallFilter {
 public:
  explicit PhoneAuthFilter(AdmissionServices& services) : services_(services) {}
  std::string_view name() const override { return "phone_auth"; }
  Verdict check(CallContext& call) override;

 private:
  Verdict checkPassThrough(CallContext& call);

  AdmissionServices& services_;
};

}  // namespace tg::b2bua::admission
