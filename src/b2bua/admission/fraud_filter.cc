#include "b2bua/admission/fraud_filter.h"

#include <charconv>

#include "b2bua/pbx_caller.h"
#include "base/log.h"
#include "guard/fraud/fraud_detector.h"
#include "guard/policy/call_policy.h"

namespace tg::b2bua::admission {

uint64_t fraudIdOf(std::string_view uuid) {
  uint64_t id = 0;
  std::from_chars(uuid.data(), uuid.data() + uuid.size(), id, 16);
  return id;
}

config::FilterSwitches FraudFilter::switches(const config::Config& config) const {
  config::FilterSwitches s;
  s.enabled = services_.fraud != nullptr && config.fraud.enabled;
  return s;  // enforce is per detector (fraud.<detector>.enforce)
}

Verdict FraudFilter::check(CallContext& call) {
  if (call.phone) return Verdict::next();  // an internal call to a remote phone
  Call& c = *call.call;
  guard::fraud::FraudCall f;
  f.id = fraudIdOf(c.uuid);
  f.zone = call.zone();
  f.account = c.account;
  if (f.account.empty()) {  // the call policy is off: who the caller is, as the policy would say
    f.account =
        f.zone == transport::Zone::kPbx
            ? pbxCallerOf(services_.context.config->pbx, call.source(), call.request()).account
            : std::string(call.callerId());
  }
  f.e164 = c.e164;
  f.destinationClass = c.destinationClass;
  if (f.e164.empty() && services_.policy != nullptr) {
    // The call policy is off: the detectors still need to know where the call goes.
    const guard::policy::NumberFacts dest =
        services_.policy->classify(c.dialled, f.zone, f.account);
    f.e164 = dest.e164;
    f.destinationClass = dest.destinationClass;
  }
  if (f.zone == transport::Zone::kTrunk && services_.policy != nullptr) {
    const guard::policy::NumberFacts caller = services_.policy->classify(call.callerId(), f.zone);
    f.callerE164 = caller.e164;
    f.callerClass = caller.destinationClass;
  }
  f.when = c.started;
  f.now = services_.context.timers.clock().now();
  const guard::fraud::Assessment a = services_.fraud->assess(f);
  if (a.shadowBlock) {
    TG_LOG(kB2bua, warn, "call={} the fraud detectors would refuse this call: {} (shadow mode)",
           c.uuid, a.explanation());
    recordEvent(call, a.rule(), a.explanation(), "shadow");
    return Verdict::shadowPass();
  }
  if (!a.block) return Verdict::next();
  TG_LOG(kB2bua, warn, "call={} from account '{}' to {} refused by the fraud detectors: {}", c.uuid,
         f.account, c.e164, a.explanation());
  recordEvent(call, a.rule(), a.explanation(), "reply 403");
  // The chain tells the refusal as onRejected (the policy already told of the call).
  return Verdict::reply(403, "Fraud Suspected", a.rule())
      .with("Reason", "SIP;cause=403;text=\"Fraud Suspected\"");
}

void FraudFilter::release(CallContext& call) {
  // A call the detectors followed that does not start: they stop following it.
  if (services_.fraud == nullptr) return;
  services_.fraud->ended(fraudIdOf(call.call->uuid), services_.context.timers.clock().now());
}

void FraudFilter::recordEvent(const CallContext& call, std::string rule, std::string reason,
                              std::string_view action) {
  recordCallEvent(services_, call, std::move(rule), std::move(reason), action,
                  " class " + call.call->destinationClass);
}

}  // namespace tg::b2bua::admission
