#include "b2bua/phone_calls.h"

#include "auth/auth_service.h"
#include "base/log.h"
#include "guard/enumeration.h"
#include "sip/auth_header.h"

namespace tg::b2bua {

using sip::HeaderId;
using sip::Method;

PhoneCalls::~PhoneCalls() {
  for (auto& [key, c] : challenged_) ctx_.timers.cancel(c.expiry);
}

std::optional<Binding> PhoneCalls::phoneFor(const sip::Message& invite) const {
  const std::string_view user = invite.requestUri()->user;
  if (user.empty() || bindings_ == nullptr) return std::nullopt;
  if (auto b = bindings_->byKey(user)) return b;
  return bindings_->latestFor(user);
}

LegMessages::ExtraHeaders PhoneCalls::credentialsFor(const Call& call,
                                                     const sip::Message& invite) const {
  LegMessages::ExtraHeaders out;
  if (auth_ == nullptr || call.stripCredentials) return out;
  const bool pbxMode = auth_->mode() == config::PublicAuthMode::kPbx;
  for (const HeaderId id : {HeaderId::kProxyAuthorization, HeaderId::kAuthorization}) {
    invite.forEach(id, [&](const sip::HeaderField& f) {
      if (!pbxMode) {
        // Ours were checked here and mean nothing to the PBX; another realm's answer the PBX.
        auto c = sip::parseCredentials(f.value);
        if (!c || c->realm.equals(auth_->digest().realm())) return;
      }
      out.emplace_back(sip::headerName(id), std::string(f.value));
    });
  }
  return out;
}

void PhoneCalls::noteAnswer(Call& call, const sip::Message& response) {
  if (call.authWatchKey.empty() || auth_ == nullptr) return;
  std::string_view challenge = response.value(HeaderId::kProxyAuthenticate);
  if (challenge.empty()) challenge = response.value(HeaderId::kWwwAuthenticate);
  auth_->watcher().onFinalResponse(call.authWatchKey, response.statusCode(), challenge);
  call.authWatchKey.clear();
}

int PhoneCalls::relayFinal(Call& call, const sip::Message& response) {
  const int code = response.statusCode();
  noteAnswer(call, response);
  const bool authenticated =
      auth_ != nullptr && (auth_->mode() == config::PublicAuthMode::kGateway ||
                           bindings_->registeredFrom(call.account, call.a.peer.address));
  guard::EdgeAnswer edge = guard::normaliseForEdge(Method::kInvite, code, authenticated);
  std::vector<std::string_view> values;
  std::string decoy;
  std::vector<std::string> ours;  // the gateway's own challenges, next to the PBX's
  if (edge.action == guard::EdgeAnswer::Action::kChallenge) {
    values = headerValues(response, HeaderId::kProxyAuthenticate);
    for (std::string_view v : headerValues(response, HeaderId::kWwwAuthenticate)) {
      values.push_back(v);
    }
    if (auth_ != nullptr && auth_->mode() == config::PublicAuthMode::kPbx) {
      // Every challenge the phone sees looks like the PBX's own (401 or 407, its form).
      if ((code == 401 || code == 407) && !values.empty()) {
        pbxInviteChallengeCode_ = code;
        pbxInviteChallenge_ = std::string(values.front());
      }
      edge.code = pbxInviteChallengeCode_;
      edge.reason = sip::defaultReasonPhrase(edge.code);
      rememberChallengedInvite(call);
    } else if (auth_ != nullptr && (code == 401 || code == 407)) {
      // Gateway mode, and the PBX wants credentials of its own too (it should trust the
      // gateway). Passing on only its challenge would make the phone drop ours and loop; with
      // both, a phone answers each realm (RFC 3261 §22.3), we check ours and relay the PBX's.
      ours = auth_->digest().challenges(call.a.peer.address);
      rememberChallengedInvite(call);
      warnPbxChallengesInGatewayMode("INVITE", call.account, ctx_.timers.clock().now(),
                                     lastPbxChallengeWarning_);
    }
    if (values.empty()) {
      decoy = pbxInviteChallenge_.empty() ? registrations_.decoyChallenge()
                                          : freshChallenge(pbxInviteChallenge_);
    }
  }
  auto b = messages_.answer(call.aInvite->request(), edge.code, edge.reason, call.a.localTag);
  if (edge.action == guard::EdgeAnswer::Action::kChallenge) {
    const std::string_view header = edge.code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
    if (!decoy.empty()) b.header(header, decoy);
    for (std::string_view v : values) b.header(header, v);
    for (const std::string& c : ours) b.header(HeaderId::kProxyAuthenticate, c);
  }
  if (edge.code == 503 && response.has(HeaderId::kRetryAfter)) {
    b.header(HeaderId::kRetryAfter, response.value(HeaderId::kRetryAfter));
  }
  transaction::ServerTransaction& st = *call.aInvite;
  call.aInvite = nullptr;
  ctx_.layer->respond(st, edge.code, b.build());
  TG_LOG(kB2bua, info, "call={} the PBX answered {}; the phone gets {}", call.uuid, code,
         edge.code);
  return edge.code;
}

void PhoneCalls::rememberChallengedInvite(const Call& call) {
  if (challenged_.size() >= kMaxChallengedInvites) return;
  const std::string key = call.a.callId + ' ' + call.a.remoteTag;
  if (auto old = challenged_.find(key); old != challenged_.end()) {
    ctx_.timers.cancel(old->second.expiry);
  }
  ChallengedInvite& c = challenged_[key];
  c = {call.b.callId, call.b.localTag, call.b.inviteCseq, base::kNoTimer};
  c.expiry =
      ctx_.timers.schedule(64 * ctx_.layer->settings().t1, [this, key] { challenged_.erase(key); });
}

bool PhoneCalls::resumeChallengedDialog(const Call& call, Leg& b) {
  auto it = challenged_.find(call.a.callId + ' ' + call.a.remoteTag);
  if (it == challenged_.end()) return false;
  b.callId = std::move(it->second.callId);
  b.localTag = std::move(it->second.localTag);
  b.localCseq = b.inviteCseq = it->second.cseq + 1;
  ctx_.timers.cancel(it->second.expiry);
  challenged_.erase(it);
  return true;
}

}  // namespace tg::b2bua
