#include "b2bua/outgoing_invite.h"

#include <algorithm>
#include <charconv>

#include "b2bua/caller_identity.h"
#include "base/log.h"
#include "base/random.h"
#include "sip/header_values.h"
#include "sip/scan.h"
#include "trunk/challenge_retry.h"

namespace tg::b2bua {
namespace {

using sip::HeaderId;
using sip::Method;
using transaction::ClientTransaction;
using transaction::ServerTransaction;
using transport::Zone;

}  // namespace

OutgoingInvite::~OutgoingInvite() {
  for (auto& [key, timer] : byedStrays_) ctx_.timers.cancel(timer);
}

void OutgoingInvite::adopt(ServerTransaction& aInvite, const Call& call) {
  aInvite.owner = this;
  aInvite.ownerId = call.id;
  aInvite.setLocalTag(call.a.localTag);  // so that the layer's 200 to a CANCEL carries it
}

bool OutgoingInvite::sendNext(Call& call) {
  if (call.candidates.empty()) return false;
  const Call::Candidate next = std::move(call.candidates.front());
  call.candidates.erase(call.candidates.begin());
  const bool outbound = call.direction == Direction::kOutbound;
  const transport::SendTarget& target = next.target;
  if (!target.address.valid()) return sendNext(call);
  call.healthId = next.healthId;
  if (outbound) call.provider = next.name;
  const std::string& domain = next.domain;
  const std::string host = domain.empty() ? target.address.toString() : domain;

  const ServerTransaction& st = *call.aInvite;
  const sip::Message& req = st.request();
  Leg& b = call.b;
  if (!b.callId.empty()) ctx_.calls.forgetDialog(call.zoneB, b.callId);
  b = Leg{};
  call.bCancelSent = false;
  b.callId = ctx_.newCallId();
  b.localTag = base::randomHex(8);
  b.localCseq = b.inviteCseq = 1;
  if (call.zoneA == Zone::kPublic) phones_.resumeChallengedDialog(call, b);
  b.peer = target;
  b.localContact = messages_.contactFor(call.zoneB, target.transport, call.sips);
  if (call.sips) {
    b.remoteTarget = "sips:" + call.dialled + "@" + host;  // TLS is implied (RFC 5630 §3.1.3)
  } else {
    b.remoteTarget = "sip:" + call.dialled + "@" + host;
    if (target.transport != config::TransportKind::kUdp) {
      b.remoteTarget.append(";transport=");
      b.remoteTarget.append(config::transportName(target.transport));
    }
  }
  if (!next.requestUri.empty()) b.remoteTarget = next.requestUri;

  const transport::LocalEndpoint* local = ctx_.endpoints(call.zoneB, target.transport);
  const std::string localHost = local != nullptr ? local->address.toString() : "invalid";
  OutgoingIdentity identity = outgoingIdentity(req, assertedUserOf(req), call.callerIdRewrite,
                                               localHost, call.zoneB == Zone::kTrunk);
  if (call.zoneB == Zone::kPbx) markVerification(identity, call.verstat, call.identityTag);
  b.localParty = withTag(identity.from, b.localTag);
  b.remoteParty = "<sip:" + call.dialled + "@" + host + ">";

  const std::string branch = transaction::TransactionLayer::newBranch();
  uint32_t maxForwards = req.maxForwards().value_or(70);
  maxForwards = std::min<uint32_t>(maxForwards == 0 ? 0 : maxForwards - 1, 70);
  LegMessages::ExtraHeaders extra =
      call.zoneA == Zone::kPublic ? phones_.credentialsFor(call, req) : LegMessages::ExtraHeaders{};
  if (!identity.asserted.empty()) extra.emplace_back("P-Asserted-Identity", identity.asserted);
  if (!identity.privacy.empty()) extra.emplace_back("Privacy", identity.privacy);
  std::string refused;
  std::string bytes = messages_.bLegInvite(call, req, branch, maxForwards, extra, &refused);
  if (!refused.empty()) {
    // A's offer cannot cross (malformed or unsupported SDP, no media ports): 488 with a
    // Warning; no other peer would change that. The call is handled, so this returns true.
    TG_LOG(kB2bua, warn, "call={} offer refused: {}", call.uuid, refused);
    ServerTransaction& aInvite = *call.aInvite;
    aInvite.setLocalTag(call.a.localTag);
    call.aInvite = nullptr;
    ctx_.layer->respond(aInvite, 488, messages_.notAcceptable(aInvite, call.a, refused));
    call.candidates.clear();
    ctx_.calls.endNow(call, Disposition::kFailed, 488, "media: " + refused);
    return true;
  }

  ctx_.calls.indexDialog(call.zoneB, b.callId, call.id, Side::kB);
  ClientTransaction& ct =
      ctx_.layer->request(std::move(bytes), branch, Method::kInvite, target, this, call.id);
  call.bInvite = &ct;
  ctx_.events.routed(recordOf(call));
  TG_LOG(kB2bua, info, "call={} B leg to {} ({} over {}{}) Call-ID {}", call.uuid,
         outbound ? call.provider : "pbx", target.address.toString(),
         config::transportName(target.transport),
         target.transport == config::TransportKind::kTls ? ", encrypted" : ", UNENCRYPTED",
         b.callId);
  return true;
}

void OutgoingInvite::respondA(Call& call, int code, std::string_view reason,
                              const sip::Message* copyFrom) {
  if (call.aInvite == nullptr) return;
  ServerTransaction& st = *call.aInvite;
  st.setLocalTag(call.a.localTag);  // the transaction matches the 2xx's ACK by this tag
  if (code >= 200) call.aInvite = nullptr;
  if (copyFrom == nullptr) {
    ctx_.layer->respond(st, code, messages_.response(st, call.a, code, reason, nullptr));
    return;
  }
  const LegMessages::Crossing crossing{*copyFrom, call, Side::kB};
  ctx_.layer->respond(st, code, messages_.response(st, call.a, code, reason, &crossing));
}

// --- B's answers --------------------------------------------------------------------------

void OutgoingInvite::onResponse(ClientTransaction& ct, const sip::Message& response) {
  if (Call* call = ctx_.calls.findCall(ct.ownerId)) {
    onBResponse(*call, ct, response);
  } else if (response.statusCode() >= 200 && response.statusCode() < 300) {
    ackAndByeStray(response, ct.target());  // answered after the call ended
  }
}

void OutgoingInvite::learnBDialog(Call& call, const sip::Message& response) {
  const std::string_view tag = response.to()->tag();
  if (tag.empty()) return;
  Leg& b = call.b;
  if (b.remoteTag.empty()) {
    b.remoteTag = std::string(tag);
    b.remoteParty = std::string(response.value(HeaderId::kTo));
  }
  if (tag != b.remoteTag) return;  // another fork: A keeps the first early dialog
  if (std::string_view target = contactUri(response); !target.empty()) {
    b.remoteTarget = std::string(target);
  }
  // As the UAC, the route set is the Record-Route list reversed (§12.1.2).
  if (response.has(HeaderId::kRecordRoute)) {
    b.routeSet = listElements(response, HeaderId::kRecordRoute);
    std::reverse(b.routeSet.begin(), b.routeSet.end());
  }
}

void OutgoingInvite::onBResponse(Call& call, ClientTransaction& ct, const sip::Message& response) {
  const int code = response.statusCode();
  if (response.callId() != call.b.callId) {
    // A late answer from an attempt we abandoned in failover.
    if (code >= 200 && code < 300) ackAndByeStray(response, ct.target());
    return;
  }
  health_.markAlive(call.healthId);
  if (code < 200 && call.cancelled) {
    cancelB(call);  // §9.1: the CANCEL waited for a provisional, and 100 Trying is one
    return;
  }
  if (code == 100) return;

  if (code < 200) {
    bool reliable = false;
    response.forEachElement(HeaderId::kRequire, [&](std::string_view t) {
      if (sip::equalsIgnoreCase(t, "100rel")) reliable = true;
    });
    uint32_t rseq = 0;
    if (reliable && response.has(HeaderId::kRSeq)) {
      const std::string_view v = sip::trim(response.value(HeaderId::kRSeq));
      std::from_chars(v.data(), v.data() + v.size(), rseq);
      // RFC 3262 §4: a retransmission (or an out-of-order one) is neither PRACKed nor processed.
      if (call.b.remoteRSeq != 0 && rseq <= call.b.remoteRSeq &&
          response.to()->tag() == call.b.remoteTag) {
        return;
      }
    }
    learnBDialog(call, response);
    if (call.state == CallState::kRouting && !response.to()->tag().empty()) {
      call.state = CallState::kEarly;
    }
    if (rseq != 0) {
      call.b.remoteRSeq = rseq;
      sendPrack(call, response);
    }
    if (call.aInvite == nullptr) return;
    std::string bytes;
    if (std::string why = buildForA(call, code, response, &bytes); !why.empty()) {
      refuseBAnswer(call, response, ct.target(), why);
      return;
    }
    ServerTransaction& st = *call.aInvite;
    st.setLocalTag(call.a.localTag);
    ctx_.layer->respond(st, code, std::move(bytes));
    return;
  }

  if (code < 300) {
    const bool sameDialog = call.b.remoteTag.empty() || response.to()->tag() == call.b.remoteTag;
    if (call.aAnswered && sameDialog) {
      if (call.bAcked) resendAckToB(call);  // B retransmitted its 2xx
      return;
    }
    if (call.cancelled || call.state == CallState::kEnded || call.aAnswered) {
      ackAndByeStray(response, ct.target());  // too late, or a second fork's 2xx
      if (call.cancelled && !call.aAnswered) ctx_.calls.endAbandoned(call);
      return;
    }
    if (!sameDialog) {
      // The first 2xx may come from a fork other than the one that rang (§13.2.2.4): its
      // dialog becomes the call's; the other fork's early dialog is left to time out.
      call.b.remoteTag.clear();
      call.b.routeSet.clear();
      call.b.remoteRSeq = 0;
    }
    onAnswered(call, code, response, ct.target());
    return;
  }
  onBRefused(call, ct, response);
}

std::string OutgoingInvite::buildForA(const Call& call, int code, const sip::Message& response,
                                      std::string* bytes) const {
  const LegMessages::Crossing crossing{response, call, Side::kB};
  std::string refused;
  *bytes =
      messages_.response(*call.aInvite, call.a, code, response.reasonPhrase(), &crossing, &refused);
  return refused;
}

void OutgoingInvite::refuseBAnswer(Call& call, const sip::Message& response,
                                   const transport::SendTarget& from, std::string_view why) {
  const int code = response.statusCode();
  TG_LOG(kB2bua, warn, "call={} {} from {} refused: {}", call.uuid, code,
         call.direction == Direction::kOutbound ? "provider" : "pbx", why);
  const std::string reason = "media: " + std::string(why);
  if (call.aInvite != nullptr) {
    ServerTransaction& st = *call.aInvite;
    st.setLocalTag(call.a.localTag);
    call.aInvite = nullptr;
    ctx_.layer->respond(st, 488, messages_.notAcceptable(st, call.a, why));
  }
  if (code >= 200) {
    // B's dialog is confirmed: ACK it (without a body: there is nothing to answer with) and
    // end it at once; its 2xx retransmissions are ACKed as strays once the call is gone.
    ackAndByeStray(response, from);
    ctx_.calls.endNow(call, Disposition::kFailed, 488, reason);
    return;
  }
  // An early dialog: CANCEL it; B's 487 (or a 2xx crossing the CANCEL) winds the leg down.
  call.cancelled = true;
  cancelB(call);
  ctx_.calls.recordEnd(call, Disposition::kFailed, 488, reason);
}

void OutgoingInvite::onAnswered(Call& call, int code, const sip::Message& response,
                                const transport::SendTarget& from) {
  learnBDialog(call, response);
  // The answer is rewritten (and may be refused) before the call counts as answered.
  std::string bytes;
  if (call.aInvite != nullptr) {
    if (std::string why = buildForA(call, code, response, &bytes); !why.empty()) {
      refuseBAnswer(call, response, from, why);
      return;
    }
  }
  phones_.noteAnswer(call, response);
  call.state = CallState::kConfirmed;
  call.aAnswered = true;
  std::vector<Call::Candidate>().swap(call.candidates);  // no failover once answered
  call.answered = ctx_.timers.clock().wallNow();
  call.answeredMono = ctx_.timers.clock().now();
  ctx_.timers.cancel(call.noAnswerTimer);
  call.noAnswerTimer = base::kNoTimer;
  // The tighter of the gateway-wide limit and the policy's (0 = none for either).
  std::chrono::seconds limit = ctx_.config->b2bua.maxCallDuration;
  std::string_view why = "maximum call duration reached";
  if (call.policyMaxDuration.count() > 0 &&
      (limit.count() <= 0 || call.policyMaxDuration < limit)) {
    limit = call.policyMaxDuration;
    why = "policy duration limit reached";
  }
  if (limit.count() > 0) {
    const uint64_t id = call.id;
    call.durationTimer = ctx_.timers.schedule(limit, [this, id, why] {
      if (Call* c = ctx_.calls.findCall(id)) {
        c->durationTimer = base::kNoTimer;
        ctx_.calls.endCall(id, EndCause::kDurationLimit, why);
      }
    });
  }
  if (call.aInvite != nullptr) {
    ServerTransaction& st = *call.aInvite;
    st.setLocalTag(call.a.localTag);  // the transaction matches the 2xx's ACK by this tag
    call.aInvite = nullptr;
    ctx_.layer->respond(st, code, std::move(bytes));
  }
  ctx_.events.answered(recordOf(call));
  TG_LOG(kB2bua, info, "call={} answered", call.uuid);
}

void OutgoingInvite::onBRefused(Call& call, ClientTransaction& ct, const sip::Message& response) {
  // 3xx-6xx: the client transaction has ACKed it.
  const int code = response.statusCode();
  call.bInvite = nullptr;
  if (call.cancelled) {
    ctx_.calls.endAbandoned(call);
    return;
  }
  if ((code == 401 || code == 407) && call.zoneB == Zone::kTrunk) {
    if (ClientTransaction* retry = answerChallenge(call, ct, response)) {
      call.bInvite = retry;
      call.b.inviteCseq = call.b.localCseq;
      return;
    }
    // Refused credentials: the next provider, else 403 to A. A provider trunkguard holds no
    // credentials for is answered 403 at once.
    const config::Provider* provider = router_.providerNamed(call.provider);
    if (provider != nullptr && provider->auth.enabled && !call.candidates.empty()) {
      ++ctx_.stats.failovers;
      TG_LOG(kB2bua, warn, "call={} {} answered {}: trying the next peer", call.uuid, call.provider,
             code);
      if (sendNext(call)) return;
    }
  }
  if ((code == 503 || code == 408) && !call.candidates.empty()) {
    ++ctx_.stats.failovers;
    TG_LOG(kB2bua, warn, "call={} {} answered {}: trying the next peer", call.uuid, call.provider,
           code);
    if (sendNext(call)) return;
  }
  relayFinalToA(call, response);
}

void OutgoingInvite::relayFinalToA(Call& call, const sip::Message& response) {
  int code = response.statusCode();
  if (call.aInvite == nullptr) {
    ctx_.calls.endNow(call, dispositionFor(code, call.cancelled), code,
                      "final response after A ended");
    return;
  }
  if (call.zoneA == Zone::kPublic) {
    const int sent = phones_.relayFinal(call, response);
    ctx_.calls.endNow(call, dispositionFor(sent, false), sent, "rejected by pbx");
    return;
  }
  std::string reason(call.zoneA == Zone::kTrunk ? std::string_view() : response.reasonPhrase());
  if (code >= 300 && code < 400) {
    // Redirects would let the far side steer our calls anywhere (toll fraud); never relay.
    code = 480;
    reason = "Temporarily Unavailable";
  } else if (code == 401 || code == 407) {
    // The provider's credentials live in trunkguard, not in the PBX (TLS/registration issue).
    code = 403;
    reason = "Provider Requires Authentication";
  }
  auto b = messages_.answer(call.aInvite->request(), code, reason, call.a.localTag);
  if (response.has(HeaderId::kRetryAfter) && code == 503) {
    b.header(HeaderId::kRetryAfter, response.value(HeaderId::kRetryAfter));
  }
  ServerTransaction& st = *call.aInvite;
  call.aInvite = nullptr;
  ctx_.layer->respond(st, code, b.build());
  ctx_.calls.endNow(
      call, dispositionFor(code, false), code,
      "rejected by " + std::string(call.direction == Direction::kOutbound ? "provider" : "pbx"));
}

void OutgoingInvite::onClientFailure(ClientTransaction& ct, bool transportError) {
  Call* call = ctx_.calls.findCall(ct.ownerId);
  if (call == nullptr || &ct != call->bInvite) return;
  call->bInvite = nullptr;
  health_.markFailed(call->healthId);
  TG_LOG(kB2bua, warn, "call={} no answer from {} ({})", call->uuid, call->provider,
         transportError ? "transport error" : "timeout");
  if (call->cancelled) {
    ctx_.calls.endAbandoned(*call);
    return;
  }
  if (!call->candidates.empty()) {
    ++ctx_.stats.failovers;
    if (sendNext(*call)) return;
  }
  const int code = transportError ? 503 : 408;
  const std::string_view reason = transportError ? "Service Unavailable" : "Request Timeout";
  respondA(*call, code, reason, nullptr);
  ctx_.calls.endNow(*call, Disposition::kFailed, code, reason);
}

void OutgoingInvite::onTerminated(transaction::Transaction& t) {
  Call* call = ctx_.calls.findCall(t.ownerId);
  if (call == nullptr) return;
  if (&t == call->aInvite) call->aInvite = nullptr;
  if (&t == call->bInvite) call->bInvite = nullptr;
}

// --- provider challenges ---------------------------------------------------------------------

ClientTransaction* OutgoingInvite::resendWithCredentials(const config::Provider& provider,
                                                         const ClientTransaction& ct,
                                                         const sip::Message& response,
                                                         std::string_view uuid, uint32_t& cseq) {
  std::string why;
  auto retry = trunk::authorizeRetry(ct.requestBytes(), response, provider.auth, &why);
  if (!retry) {
    TG_LOG(kB2bua, warn, "call={} {} answered {} to {}: {}", uuid, provider.name,
           response.statusCode(), sip::methodName(ct.method()), why);
    return nullptr;
  }
  cseq = retry->cseq;
  TG_LOG(kB2bua, info, "call={} {} answered {} to {}: sending it again with credentials", uuid,
         provider.name, response.statusCode(), sip::methodName(ct.method()));
  return &ctx_.layer->request(std::move(retry->bytes), retry->branch, ct.method(), ct.target(),
                              ct.owner, ct.ownerId, ct.ownerTag);
}

ClientTransaction* OutgoingInvite::answerChallenge(Call& call, const ClientTransaction& ct,
                                                   const sip::Message& response) {
  const int code = response.statusCode();
  if ((code != 401 && code != 407) || ct.target().zone != Zone::kTrunk) return nullptr;
  const config::Provider* provider = router_.providerNamed(call.provider);
  if (provider == nullptr || !provider->auth.enabled) return nullptr;
  uint32_t cseq = 0;
  ClientTransaction* retry = resendWithCredentials(*provider, ct, response, call.uuid, cseq);
  if (retry != nullptr) {
    Leg& leg = call.leg(call.zoneA == Zone::kTrunk ? Side::kA : Side::kB);
    leg.localCseq = std::max(leg.localCseq, cseq);
  }
  return retry;
}

void OutgoingInvite::answerOrphanChallenge(const ClientTransaction& ct,
                                           const sip::Message& response) {
  const int code = response.statusCode();
  if ((code != 401 && code != 407) || ct.target().zone != Zone::kTrunk) return;
  if (const config::Provider* p = router_.authenticatingProviderAt(ct.target().address)) {
    uint32_t cseq = 0;
    resendWithCredentials(*p, ct, response, "-", cseq);
  }
}

void OutgoingInvite::LocalRequests::onResponse(ClientTransaction& ct,
                                               const sip::Message& response) {
  if (Call* call = invite_.ctx_.calls.findCall(ct.ownerId)) {
    invite_.answerChallenge(*call, ct, response);  // a BYE or PRACK of ours, challenged
  } else {
    invite_.answerOrphanChallenge(ct, response);  // a BYE that outlived its call
  }
}

// --- PRACK, ACK, CANCEL -----------------------------------------------------------------------

void OutgoingInvite::sendPrack(Call& call, const sip::Message& reliableProvisional) {
  Leg& b = call.b;
  if (b.remoteTag.empty()) return;
  const std::string rack = std::string(sip::trim(reliableProvisional.value(HeaderId::kRSeq))) +
                           " " + std::to_string(b.inviteCseq) + " INVITE";
  const std::string branch = transaction::TransactionLayer::newBranch();
  const std::string bytes =
      messages_.inDialog(b, call.zoneB, "PRACK", ++b.localCseq, branch, nullptr, {{"RAck", rack}});
  ctx_.layer->request(bytes, branch, Method::kPrack, b.peer, &local_, call.id);
}

void OutgoingInvite::onAck(ServerTransaction& invite, const sip::Message& ack,
                           const transport::Packet& /*packet*/) {
  if (Call* call = ctx_.calls.findCall(invite.ownerId)) sendAckToB(*call, &ack);
}

void OutgoingInvite::sendAckToB(Call& call, const sip::Message* aAck) {
  if (call.bAcked || call.state != CallState::kConfirmed) return;
  const std::string branch = transaction::TransactionLayer::newBranch();
  if (aAck != nullptr) {
    const LegMessages::Crossing crossing{*aAck, call, Side::kA};
    call.bAck = messages_.inDialog(call.b, call.zoneB, "ACK", call.b.inviteCseq, branch, &crossing);
  } else {
    call.bAck = messages_.inDialog(call.b, call.zoneB, "ACK", call.b.inviteCseq, branch);
  }
  call.bAcked = true;
  ctx_.sender->send(call.b.peer, call.bAck);
  // B stops retransmitting its 2xx after 64*T1; the ACK kept to answer them can go then (a
  // later straggler gets a rebuilt ACK).
  const uint64_t id = call.id;
  call.ackReleaseTimer = ctx_.timers.schedule(64 * ctx_.layer->settings().t1, [this, id] {
    if (Call* c = ctx_.calls.findCall(id)) {
      c->ackReleaseTimer = base::kNoTimer;
      std::string().swap(c->bAck);
    }
  });
}

void OutgoingInvite::resendAckToB(Call& call) {
  if (call.bAck.empty()) {
    call.bAck = messages_.inDialog(call.b, call.zoneB, "ACK", call.b.inviteCseq,
                                   transaction::TransactionLayer::newBranch());
  }
  ctx_.sender->send(call.b.peer, call.bAck);
}

void OutgoingInvite::onAckTimeout(ServerTransaction& invite) {
  if (Call* call = ctx_.calls.findCall(invite.ownerId)) {
    TG_LOG(kB2bua, warn, "call={} the caller never acknowledged the answer", call->uuid);
    ctx_.calls.endCall(call->id, EndCause::kNoAck, "no ACK from caller");
  }
}

void OutgoingInvite::onCancel(ServerTransaction& invite) {
  Call* call = ctx_.calls.findCall(invite.ownerId);
  if (call == nullptr) {
    ctx_.layer->respond(invite, 487,
                        sip::responseTo(invite.request(), 487, {}, invite.localTag()).build());
    return;
  }
  // The CANCEL's 200 used the To tag the INVITE's final must carry.
  if (!invite.localTag().empty()) {
    call->a.localTag = invite.localTag();
    call->a.localParty = withTag(invite.request().value(HeaderId::kTo), call->a.localTag);
  }
  call->cancelled = true;
  TG_LOG(kB2bua, info, "call={} cancelled by caller", call->uuid);
  respondA(*call, 487, "Request Terminated", nullptr);
  if (call->bInvite == nullptr) {
    ctx_.calls.endNow(*call, Disposition::kCancelled, 487, "cancelled by caller");
    return;
  }
  // A's call is over: its CDR ends now, not when B's 487 comes (a callee that answers the
  // CANCEL 200 and never sends a 487 would keep it in progress for 64*T1).
  ctx_.calls.recordEnd(*call, Disposition::kCancelled, 487, "cancelled by caller");
  if (call->bInvite->receivedProvisional()) cancelB(*call);
  // else: CANCEL goes out with B's first provisional (§9.1)
}

void OutgoingInvite::cancelB(Call& call) {
  if (call.bInvite == nullptr || call.bCancelSent) return;
  call.bCancelSent = true;
  sendCancel(*call.bInvite, call.id);
}

void OutgoingInvite::sendCancel(const ClientTransaction& invite, uint64_t callId) {
  std::string branch;
  std::string bytes = messages_.cancelFor(invite, branch);
  if (bytes.empty()) return;
  // §9.1: the CANCEL goes to the INVITE's destination, address, port and transport.
  ctx_.layer->request(std::move(bytes), branch, Method::kCancel, invite.target(), &local_, callId);
}

// --- strays -------------------------------------------------------------------------------------

void OutgoingInvite::ackAndByeStray(const sip::Message& response,
                                    const transport::SendTarget& target) {
  Leg leg;
  leg.callId = std::string(response.callId());
  leg.localParty = std::string(response.value(HeaderId::kFrom));
  leg.remoteParty = std::string(response.value(HeaderId::kTo));
  leg.remoteTarget = std::string(contactUri(response));
  if (leg.remoteTarget.empty()) return;
  leg.routeSet = listElements(response, HeaderId::kRecordRoute);
  std::reverse(leg.routeSet.begin(), leg.routeSet.end());
  leg.peer = target;
  const uint32_t cseq = response.cseq()->number;
  ctx_.sender->send(target, messages_.inDialog(leg, target.zone, "ACK", cseq,
                                               transaction::TransactionLayer::newBranch()));
  // Each 2xx retransmission is ACKed (§13.2.2.4), but the dialog is ended once.
  std::string key = leg.callId + ' ' + std::string(response.to()->tag());
  if (byedStrays_.contains(key)) return;
  const base::TimerId expiry =
      ctx_.timers.schedule(64 * ctx_.layer->settings().t1, [this, key] { byedStrays_.erase(key); });
  byedStrays_.emplace(std::move(key), expiry);
  const std::string branch = transaction::TransactionLayer::newBranch();
  ctx_.layer->request(messages_.inDialog(leg, target.zone, "BYE", cseq + 1, branch), branch,
                      Method::kBye, target, &local_);
}

}  // namespace tg::b2bua
