#pragma once

// Admission filter `identity`: STIR/SHAKEN verification of calls from providers (trunk zone;
// docs/identity.md). The claims are checked on the worker; a certificate chain not yet cached
// is fetched on the verifier's threads while the call is deferred, and the answer is posted
// back to this worker. The outcome goes on the call (verstat, attestation) for the PBX leg;
// a failed or missing verification then gets identity.on_failed / on_missing: continue, tag
// (caller-name prefix) or reject (the RFC 8224 code, or identity.reject_code). A fetch that
// has not answered by identity.fetch_timeout_ms is a failure (436) like any other.
// Enabled when a verifier is set and identity.enabled.

#include <unordered_map>

#include "b2bua/admission/call_filter.h"
#include "identity/verification.h"

namespace tg::b2bua::admission {

class IdentityFilter final : public CallFilter {
 public:
  explicit IdentityFilter(AdmissionServices& services) : services_(services) {}
  ~IdentityFilter() override;
  std::string_view name() const override { return "identity"; }
  config::FilterSwitches switches(const config::Config& config) const override;
  Verdict check(CallContext& call) override;
  void release(CallContext& call) override;

 private:
  // The outcome on the call, and the verdict the policy gives it.
  Verdict decide(CallContext& call, const identity::Verification& v);
  // A fetch's outcome, or its time running out, for the call parked under `ticket`.
  void finish(uint64_t ticket, const identity::Verification& v);
  void recordEvent(const CallContext& call, const identity::Verification& v,
                   std::string_view action);

  AdmissionServices& services_;
  // Deferred calls: their own deadline timer (the failure action applies at it, rather than
  // the chain's 504).
  std::unordered_map<uint64_t, base::TimerId> pending_;
  // Closures posted from the fetch threads hold a weak reference: nothing runs once this is gone.
  std::shared_ptr<IdentityFilter*> self_ = std::make_shared<IdentityFilter*>(this);
};

}  // namespace tg::b2bua::admission
