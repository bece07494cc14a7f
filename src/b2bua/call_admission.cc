#include "b2bua/call_admission.h"

#include "auth/auth_service.h"
#include "b2bua/caller_identity.h"
#include "b2bua/registration_relay.h"
#include "base/log.h"
#include "base/random.h"
#include "sip/header_values.h"
#include "sip/identity_headers.h"
#include "sip/scan.h"

namespace tg::b2bua {
namespace {

using sip::HeaderId;
using transaction::ServerTransaction;
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

bool CallAdmission::admitRequest(ServerTransaction& st, PhoneAdmission& phone) {
  if (st.target().zone == Zone::kPublic && !admitPhone(st, phone)) return false;
  const sip::Message& req = st.request();
  auto refuse = [&](int code, std::string_view reason = {}) {
    ctx_.layer->respond(st, code, messages_.localAnswer(st, code, reason));
    return false;
  };
  // 100rel is not among them: toward A the gateway sends provisionals unreliably only, so a
  // caller that requires reliable ones is answered 420 (RFC 3262 §4).
  bool unsupported = false;
  req.forEachElement(HeaderId::kRequire, [&](std::string_view t) {
    if (!sip::equalsIgnoreCase(t, "timer")) unsupported = true;
  });
  if (unsupported) return refuse(420);
  if (req.requestUri()->user.empty()) return refuse(484, "No Number Dialled");
  if (!req.body().empty()) {
    auto type = sip::parseMediaType(req.value(HeaderId::kContentType));
    if (!type || !(type->is("application", "sdp") || sip::equalsIgnoreCase(type->type, "multipart"))) {
      return refuse(415);
    }
  }
  if (req.contact() == nullptr) return refuse(400, "Missing Contact");
  if (callerPrivacyOf(req).malformed) return refuse(400, "Malformed Privacy Header");
  // RFC 3261 §8.1.1.6, RFC 7332 §3: the hop limit is spent; a new leg with a fresh
  // Max-Forwards would let a routing loop through the gateway run forever.
  if (req.maxForwards().value_or(70) == 0) return refuse(483);
  return true;
}

bool CallAdmission::admitPhone(ServerTransaction& st, PhoneAdmission& out) {
  if (auth_ == nullptr) {
    ctx_.layer->respond(st, 403, messages_.localAnswer(st, 403, "Remote Phones Not Enabled"));
    return false;
  }
  const sip::Message& req = st.request();
  const std::vector<std::string_view> credentials =
      headerValues(req, HeaderId::kProxyAuthorization);
  if (auth_->mode() == config::PublicAuthMode::kPbx) {
    // The PBX challenges (407, or 401 as some do); trunkguard keeps the books on its answers.
    out.account = std::string(req.from()->uri.user);
    const std::vector<std::string_view> any =
        credentials.empty() ? headerValues(req, HeaderId::kAuthorization) : credentials;
    if (!any.empty()) {
      out.authWatchKey =
          "I " + std::string(req.callId()) + " " + std::to_string(req.cseq()->number);
      const auth::FailureWatcher::Verdict verdict = auth_->watcher().onRequest(
          out.authWatchKey, any.front(), st.target().address, req.requestUriText(), Zone::kPublic);
      if (verdict == auth::FailureWatcher::Verdict::kRefuseUriMismatch) {
        ctx_.layer->respond(st, 400, messages_.localAnswer(st, 400, auth::kDigestUriMismatch));
        return false;
      }
      out.stripCredentials = verdict == auth::FailureWatcher::Verdict::kStripCredentials;
    }
    return true;
  }
  auth::AuthRequest ar;
  ar.method = "INVITE";
  ar.credentials = credentials;
  ar.source = st.target().address;
  ar.zone = Zone::kPublic;
  ar.requestUri = req.requestUriText();
  ar.callerId = req.from()->uri.user;
  ar.claimedUser = req.from()->uri.user;
  ar.userAgent = req.value(HeaderId::kUserAgent);
  const auth::AuthDecision d = auth_->gateway().authenticate(ar);
  if (d.action == auth::AuthDecision::Action::kAccept) {
    out.account = d.account->username;
    return true;
  }
  auto b = messages_.answer(req, d.status, d.reasonPhrase, base::randomHex(8));
  if (d.action == auth::AuthDecision::Action::kChallenge) {
    ++ctx_.stats.phoneChallenges;
    for (const std::string& c : d.challenges) b.header(d.challengeHeader, c);
  }
  ctx_.layer->respond(st, d.status, b.build());
  return false;
}

bool CallAdmission::admitByPolicy(ServerTransaction& st, Call& call) {
  const sip::Message& req = st.request();
  guard::policy::CallAttempt attempt;
  attempt.zone = st.target().zone;
  attempt.dialled = call.dialled;
  attempt.callerId = std::string(req.from()->uri.user);
  // Accounts arrive with issue 6; until then the PBX's From user names the caller.
  if (attempt.zone == Zone::kPbx) attempt.account = attempt.callerId;
  // A remote phone is counted as the account it authenticated as (issue 6).
  if (attempt.zone == Zone::kPublic) attempt.account = call.account;
  attempt.assertedId = assertedUserOf(req);
  // Privacy: id hides the identity from the callee; the From user is still what is checked.
  attempt.anonymous = callerPrivacyOf(req).anonymousFrom;
  attempt.when = call.started;
  attempt.now = ctx_.timers.clock().now();
  const guard::policy::Admission admission = policy_->admit(attempt);

  call.account = admission.account;
  call.e164 = admission.e164;
  call.destinationClass = admission.destinationClass;
  call.policyRule = admission.rule;
  if (!admission.forwardUser.empty()) call.dialled = admission.forwardUser;
  call.policyHandle = admission.handle;
  ctx_.events.policyDecision(recordOf(call), admission);
  if (admission.rejected()) {
    if (admission.authFailure) countCallCodeFailure(st, attempt.account);
    rejectByPolicy(st, call, admission);
    return false;
  }
  if (admission.shadow) {
    TG_LOG(kB2bua, info, "call={} the policy would refuse this call ({} {}, rule {}): "
           "shadow mode lets it through", call.uuid, admission.code, admission.reason,
           admission.rule);
    recordPolicyEvent(st, admission, "shadow");
  }
  if (admission.emergency) {
    TG_LOG(kB2bua, warn, "call={} emergency call to {} from {} ({})", call.uuid, call.dialled,
           attempt.callerId, st.target().address.toString());
  }
  call.policyMaxDuration = admission.maxDuration;
  if (admission.callerIdRewrite) call.callerIdRewrite = *admission.callerIdRewrite;
  return true;
}

// A wrong call code from a remote phone is a failed authentication of its account from that
// source: the auth lockout and the perimeter bans apply, as to a wrong password. From the PBX
// (a trusted peer, never banned) the policy's own lock of the user is what applies.
void CallAdmission::countCallCodeFailure(const ServerTransaction& st, const std::string& account) {
  if (auth_ == nullptr || st.target().zone != Zone::kPublic || account.empty()) return;
  auth_->lockout().recordFailure(account, st.target().address, Zone::kPublic, "wrong call code");
}

void CallAdmission::rejectByPolicy(ServerTransaction& st, const Call& call,
                                   const guard::policy::Admission& admission) {
  const int code = admission.code >= 400 && admission.code < 700 ? admission.code : 403;
  TG_LOG(kB2bua, info, "call={} {} call from {} to {} refused by the call policy: {} {} "
         "(rule {})", call.uuid, directionName(call.direction), st.target().address.toString(),
         call.dialled, code, admission.reason, admission.rule);
  const sip::Message& req = st.request();
  auto b = messages_.answer(req, code, {}, base::randomHex(8));
  // RFC 3326: the cause is the response code; the text says which rule, for the PBX's logs.
  b.header(HeaderId::kReason, "SIP;cause=" + std::to_string(code) + ";text=\"" +
                                  quotable(admission.reason) + "\"");
  recordPolicyEvent(st, admission, "reply " + std::to_string(code));
  // Leg A was never opened: the record takes it from the INVITE.
  CallRecord r = recordOf(call);
  r.aCallId = std::string(req.callId());
  r.aFromTag = std::string(req.from()->tag());
  r.aToTag.clear();
  r.fromUri = std::string(req.from()->uri.text);
  r.toUri = "sip:" + call.dialled;  // without the (wrong) code
  r.sourceAddress = st.target().address.toString();
  r.aTransport = std::string(config::transportName(st.target().transport));
  r.endTime = call.started;
  r.disposition = Disposition::kRejected;
  r.sipCode = code;
  r.endReason = "policy: " + admission.reason;
  ctx_.events.rejected(r);
  ctx_.layer->respond(st, code, b.build());
}

void CallAdmission::recordPolicyEvent(const ServerTransaction& st,
                                      const guard::policy::Admission& admission,
                                      std::string_view action) {
  if (events_ == nullptr) return;
  const sip::Message& req = st.request();
  guard::SecurityEvent e;
  e.time = ctx_.timers.clock().wallNow();
  e.zone = st.target().zone;
  e.source = st.target().address;
  e.rule = "policy." + admission.rule;
  e.reason = admission.reason;
  if (admission.authFailure) e.reason.append(" (wrong call code)");
  e.action = std::string(action);
  // Who called whom, without the dialled digits (they may hold a call code).
  e.sample = "INVITE from " + std::string(req.from()->uri.user).substr(0, 64) + " class " +
             admission.destinationClass;
  events_->record(std::move(e));
}

}  // namespace tg::b2bua
