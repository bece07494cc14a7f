#include "b2bua/admission/identity_filter.h"

#include <chrono>

#include "b2bua/admission/admission_chain.h"
#include "base/log.h"
#include "identity/identity_verifier.h"
#include "identity/verifier.h"

namespace tg::b2bua::admission {
namespace {

using config::IdentityAction;
using identity::Verification;
using identity::Verstat;

std::string_view actionName(IdentityAction a) {
  switch (a) {
    case IdentityAction::kContinue:
      return "continue";
    case IdentityAction::kTag:
      return "tag";
    case IdentityAction::kReject:
      break;
  }
  return "reject";
}

}  // namespace

IdentityFilter::~IdentityFilter() {
  for (auto& [ticket, timer] : pending_) services_.context.timers.cancel(timer);
}

config::FilterSwitches IdentityFilter::switches(const config::Config& config) const {
  config::FilterSwitches s;
  s.enabled = services_.identity != nullptr && config.identity.enabled;
  return s;  // what a failure does is identity.on_failed / on_missing
}

Verdict IdentityFilter::check(CallContext& call) {
  if (call.zone() != transport::Zone::kTrunk) return Verdict::next();
  const config::IdentitySettings& settings = services_.context.config->identity;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          services_.context.timers.clock().wallNow().time_since_epoch())
                          .count();
  const identity::CallFacts facts =
      identity::callFactsOf(call.request(), settings.countryCode, now);
  identity::ClaimCheck claims = identity::checkClaims(facts, settings);
  if (claims.done) return decide(call, *claims.done);
  if (auto cached = services_.identity->verifyCached(claims.passport)) {
    return decide(call, *cached);
  }
  // Not cached: fetched on the verifier's threads; the answer comes back to this worker.
  const uint64_t ticket = call.ticket;
  std::weak_ptr<IdentityFilter*> weak = self_;
  auto post = services_.post;
  const bool queued = post && services_.identity->fetchAndVerify(
                                  claims.passport, [weak, post, ticket](Verification v) {
                                    post([weak, ticket, v = std::move(v)] {
                                      if (auto self = weak.lock()) (*self)->finish(ticket, v);
                                    });
                                  });
  if (!queued) {
    return decide(call, identity::badInfo(claims.passport, "too many x5u fetches waiting"));
  }
  const std::string x5u = claims.passport.x5u;
  pending_[ticket] = services_.context.timers.schedule(settings.fetchTimeout, [this, ticket, x5u] {
    pending_.erase(ticket);
    identity::Passport p;
    p.x5u = x5u;
    finish(ticket, identity::badInfo(p, "x5u fetch did not finish in time"));
  });
  // The chain's own deadline (504) stays behind ours: ours applies the failure action.
  return Verdict::defer(settings.fetchTimeout + std::chrono::seconds(2));
}

void IdentityFilter::finish(uint64_t ticket, const Verification& v) {
  if (auto it = pending_.find(ticket); it != pending_.end()) {
    services_.context.timers.cancel(it->second);
    pending_.erase(it);
  }
  if (services_.chain == nullptr) return;
  CallContext* call = services_.chain->parked(ticket);
  if (call == nullptr) return;  // cancelled, or its time ran out
  Verdict verdict = decide(*call, v);
  services_.chain->resume(ticket, std::move(verdict));
}

void IdentityFilter::release(CallContext& call) {
  if (auto it = pending_.find(call.ticket); it != pending_.end()) {
    services_.context.timers.cancel(it->second);
    pending_.erase(it);
  }
}

Verdict IdentityFilter::decide(CallContext& call, const Verification& v) {
  const config::IdentitySettings& settings = services_.context.config->identity;
  Call& c = *call.call;
  c.verstat = std::string(identity::verstatName(v.verstat));
  c.attestation = std::string(identity::attestationName(v.attest));
  if (v.passed()) {
    TG_LOG(kB2bua, info, "call={} caller identity verified: attestation {} ({})", c.uuid,
           c.attestation, v.detail);
    return Verdict::next();
  }
  const IdentityAction action =
      v.verstat == Verstat::kNoValidation ? settings.onMissing : settings.onFailed;
  TG_LOG(kB2bua, info, "call={} caller identity {}: {} ({}): {}", c.uuid, c.verstat,
         identity::failureName(v.failure), v.detail, actionName(action));
  if (action == IdentityAction::kContinue) {
    if (v.verstat == Verstat::kFailed) recordEvent(call, v, "continue");
    return Verdict::next();
  }
  if (action == IdentityAction::kTag) {
    c.identityTag = settings.tagPrefix;
    recordEvent(call, v, "tag");
    return Verdict::next();
  }
  const int code =
      settings.rejectCode != 0 ? settings.rejectCode : identity::failureCode(v.failure);
  const std::string reason = settings.rejectCode != 0
                                 ? std::string()
                                 : std::string(identity::failureReasonPhrase(v.failure));
  recordEvent(call, v, "reply " + std::to_string(code));
  return Verdict::reply(code, reason, "identity." + std::string(identity::failureName(v.failure)));
}

void IdentityFilter::recordEvent(const CallContext& call, const Verification& v,
                                 std::string_view action) {
  recordCallEvent(services_, call, "identity." + std::string(identity::failureName(v.failure)),
                  std::string(identity::verstatName(v.verstat)) + ": " + v.detail, action);
}

}  // namespace tg::b2bua::admission
