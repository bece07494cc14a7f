#include "b2bua/admission/phone_auth_filter.h"

#include "auth/auth_service.h"
#include "b2bua/registration_relay.h"

namespace tg::b2bua::admission {
namespace {

using sip::HeaderId;
using transport::Zone;

}  // namespace

Verdict PhoneAuthFilter::check(CallContext& call) {
  if (call.zone() != Zone::kPublic) return Verdict::next();
  auth::AuthService* auth = services_.auth;
  if (auth == nullptr) return Verdict::reply(403, "Remote Phones Not Enabled", "phone_auth.off");
  if (auth->mode() == config::PublicAuthMode::kPbx) return checkPassThrough(call);
  const sip::Message& req = call.request();
  // AuthRequest::credentials views this vector: it must outlive authenticate().
  const std::vector<std::string_view> credentials =
      headerValues(req, HeaderId::kProxyAuthorization);
  auth::AuthRequest ar;
  ar.method = "INVITE";
  ar.credentials = credentials;
  ar.source = call.source();
  ar.zone = Zone::kPublic;
  ar.requestUri = req.requestUriText();
  ar.callerId = req.from()->uri.user;
  ar.claimedUser = req.from()->uri.user;
  ar.userAgent = req.value(HeaderId::kUserAgent);
  const auth::AuthDecision d = auth->gateway().authenticate(ar);
  if (d.action == auth::AuthDecision::Action::kAccept) {
    call.call->account = d.account->username;
    return Verdict::next();
  }
  if (d.action == auth::AuthDecision::Action::kChallenge) {
    const auto& zone = services_.context.config->publicZone;
    Verdict v = Verdict::challenge(zone ? zone->auth.realm : std::string(), d.status,
                                   std::string(d.reasonPhrase), "phone_auth.challenge");
    for (const std::string& c : d.challenges) v.with(std::string(d.challengeHeader), c);
    return v;
  }
  return Verdict::reply(d.status, std::string(d.reasonPhrase), "phone_auth.refused");
}

// The PBX challenges (407, or 401 as some do); trunkguard keeps the books on its answers.
Verdict PhoneAuthFilter::checkPassThrough(CallContext& call) {
  const sip::Message& req = call.request();
  Call& c = *call.call;
  c.account = std::string(req.from()->uri.user);
  std::vector<std::string_view> credentials = headerValues(req, HeaderId::kProxyAuthorization);
  if (credentials.empty()) credentials = headerValues(req, HeaderId::kAuthorization);
  if (credentials.empty()) return Verdict::next();
  c.authWatchKey = "I " + std::string(req.callId()) + " " + std::to_string(req.cseq()->number);
  const auth::FailureWatcher::Verdict verdict = services_.auth->watcher().onRequest(
      c.authWatchKey, credentials.front(), call.source(), req.requestUriText(), Zone::kPublic);
  if (verdict == auth::FailureWatcher::Verdict::kRefuseUriMismatch) {
    return Verdict::reply(400, std::string(auth::kDigestUriMismatch), "phone_auth.digest_uri");
  }
  c.stripCredentials = verdict == auth::FailureWatcher::Verdict::kStripCredentials;
  return Verdict::next();
}

}  // namespace tg::b2bua::admission
