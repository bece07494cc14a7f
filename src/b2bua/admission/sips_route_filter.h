#pragma once

// Admission filter `sips_route`: RFC 5630, a sips: Request-URI asks for TLS on every hop, so an
// outbound sips: call leaves over TLS or not at all, never downgraded to a plaintext provider;
// with no provider reached over TLS it is answered 480 with warn-code 380. (Towards the PBX
// trunkguard ends the caller's hop: its leg to the PBX uses the PBX's configured transport.)
// Switched off, such a call still never leaves over plaintext: the router offers it no
// provider and it fails with 503.

#include "b2bua/admission/call_filter.h"

namespace tg::b2bua::admission {

class SipsRouteFilter final : public CallFilter {
 public:
  explicit SipsRouteFilter(AdmissionServices& services) : services_(services) {}
  std::string_view name() const override { return "sips_route"; }
  Verdict check(CallContext& call) override;

 private:
  AdmissionServices& services_;
};

}  // namespace tg::b2bua::admission
