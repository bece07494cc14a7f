#include "b2bua/admission/call_policy_filter.h"

#include <memory>
#include <optional>

#include "auth/auth_service.h"
#include "b2bua/admission/admission_chain.h"
#include "b2bua/caller_identity.h"
#include "b2bua/pbx_caller.h"
#include "base/log.h"

namespace tg::b2bua::admission {
namespace {

using transport::Zone;

// Text for a quoted-string (Reason: text="..."): no quotes, backslashes or control bytes.
std::string quotable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 128)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c != '"' && c != '\\' && byte >= 0x20 && byte != 0x7f) out.push_back(c);
  }
  return out;
}

}  // namespace

config::FilterSwitches CallPolicyFilter::switches(const config::Config& /*config*/) const {
  // The engine holds the policy's settings (it is reloaded with them) and runs shadow mode.
  config::FilterSwitches s;
  s.enabled = services_.policy != nullptr && services_.policy->enabled();
  return s;
}

Verdict CallPolicyFilter::check(CallContext& call) {
  if (call.phone) return Verdict::next();  // an internal call: no toll-fraud policy
  const Call& c = *call.call;
  const sip::Message& req = call.request();
  guard::policy::CallAttempt attempt;
  attempt.zone = call.zone();
  attempt.dialled = c.dialled;
  attempt.callerId = std::string(call.callerId());
  // From the PBX: the asserted extension or the peer, never the From user (pbx_caller.h).
  if (attempt.zone == Zone::kPbx) {
    PbxCaller caller = pbxCallerOf(services_.context.config->pbx, call.source(), req);
    if (!caller.problem.empty()) {
      TG_LOG(kB2bua, debug, "call={} {}: counted as the PBX peer {}", c.uuid, caller.problem,
             caller.peer);
    }
    attempt.wholePbx = !caller.asserted;
    attempt.account = std::move(caller.account);
    attempt.source = std::move(caller.peer);
  }
  // A remote phone is counted as the account it authenticated as (issue 6).
  if (attempt.zone == Zone::kPublic) {
    attempt.account = c.account;
    attempt.source = call.source().ip();
  }
  attempt.assertedId = assertedUserOf(req);
  // Privacy: id hides the identity from the callee; the From user is still what is checked.
  attempt.anonymous = callerPrivacyOf(req).anonymousFrom;
  attempt.when = c.started;
  attempt.now = services_.context.timers.clock().now();
  if (services_.policy->answersInline()) {
    return decide(call, attempt, services_.policy->admit(attempt));
  }
  return defer(call, attempt);
}

// A shared store (Redis) answers later, on this worker: the call waits, parked in the chain.
// The store answers within its deadline (locally when Redis does not), so the chain's own
// deadline is only a backstop.
Verdict CallPolicyFilter::defer(CallContext& call, const guard::policy::CallAttempt& attempt) {
  struct Slot {
    bool returned = false;  // check() has returned: the call is parked
    std::optional<guard::policy::Admission> early;
  };
  auto slot = std::make_shared<Slot>();
  const uint64_t ticket = call.ticket;
  services_.policy->admitAsync(
      attempt, [this, slot, ticket, attempt](guard::policy::Admission admission) {
        if (!slot->returned) {  // answered before check() returned (no poster: tests)
          slot->early = std::move(admission);
          return;
        }
        AdmissionChain* chain = services_.chain;
        CallContext* parked = chain != nullptr ? chain->parked(ticket) : nullptr;
        if (parked == nullptr) {  // cancelled or timed out meanwhile: give its count back
          if (admission.handle != 0) {
            services_.policy->ended(admission.handle, services_.context.timers.clock().now());
          }
          return;
        }
        chain->resume(ticket, decide(*parked, attempt, admission));
      });
  slot->returned = true;
  if (slot->early) return decide(call, attempt, *slot->early);
  return Verdict::defer(kStoreDeadline);
}

Verdict CallPolicyFilter::decide(CallContext& call, const guard::policy::CallAttempt& attempt,
                                 const guard::policy::Admission& admission) {
  B2buaContext& ctx = services_.context;
  Call& c = *call.call;
  c.account = admission.account;
  c.e164 = admission.e164;
  c.destinationClass = admission.destinationClass;
  c.policyRule = admission.rule;
  if (!admission.forwardUser.empty()) c.dialled = admission.forwardUser;
  c.policyHandle = admission.handle;
  ctx.events.policyDecision(recordOf(c), admission);
  if (admission.rejected()) {
    if (admission.authFailure) countCallCodeFailure(call, attempt.account);
    return refuse(call, admission);
  }
  call.recorded = true;
  Verdict verdict = Verdict::next();
  if (admission.shadow) {
    TG_LOG(kB2bua, info,
           "call={} the policy would refuse this call ({} {}, rule {}): "
           "shadow mode lets it through",
           c.uuid, admission.code, admission.reason, admission.rule);
    recordEvent(call, admission, "shadow");
    verdict = Verdict::shadowPass();
  }
  if (admission.emergency) {
    TG_LOG(kB2bua, warn, "call={} emergency call to {} from {} ({})", c.uuid, c.dialled,
           attempt.callerId, call.source().toString());
  }
  c.policyMaxDuration = admission.maxDuration;
  if (admission.callerIdRewrite) c.callerIdRewrite = *admission.callerIdRewrite;
  return verdict;
}

void CallPolicyFilter::release(CallContext& call) {
  Call& c = *call.call;
  if (c.policyHandle == 0 || services_.policy == nullptr) return;
  services_.policy->ended(c.policyHandle, services_.context.timers.clock().now());
  c.policyHandle = 0;
}

// A wrong call code from a remote phone is a failed authentication of its account from that
// source: the auth lockout and the perimeter bans apply, as to a wrong password. From the PBX
// (a trusted peer, never banned) the policy's own lock of the user is what applies.
void CallPolicyFilter::countCallCodeFailure(const CallContext& call, const std::string& account) {
  if (services_.auth == nullptr || call.zone() != Zone::kPublic || account.empty()) return;
  services_.auth->lockout().recordFailure(account, call.source(), Zone::kPublic, "wrong call code");
}

Verdict CallPolicyFilter::refuse(CallContext& call, const guard::policy::Admission& admission) {
  const Call& c = *call.call;
  const int code = admission.code >= 400 && admission.code < 700 ? admission.code : 403;
  TG_LOG(kB2bua, info,
         "call={} {} call from {} to {} refused by the call policy: {} {} "
         "(rule {})",
         c.uuid, directionName(c.direction), call.source().toString(), c.dialled, code,
         admission.reason, admission.rule);
  recordEvent(call, admission, "reply " + std::to_string(code));
  services_.context.events.rejected(
      refusedRecord(call, Disposition::kRejected, code, "policy: " + admission.reason));
  // RFC 3326: the cause is the response code; the text says which rule, for the PBX's logs.
  return Verdict::reply(code, {}, "policy." + admission.rule)
      .with("Reason",
            "SIP;cause=" + std::to_string(code) + ";text=\"" + quotable(admission.reason) + "\"");
}

void CallPolicyFilter::recordEvent(const CallContext& call,
                                   const guard::policy::Admission& admission,
                                   std::string_view action) {
  std::string reason = admission.reason;
  if (admission.authFailure) reason.append(" (wrong call code)");
  recordCallEvent(services_, call, "policy." + admission.rule, std::move(reason), action,
                  " class " + admission.destinationClass);
}

}  // namespace tg::b2bua::admission
