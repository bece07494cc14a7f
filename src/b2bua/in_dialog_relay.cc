#include "b2bua/in_dialog_relay.h"

#include "base/log.h"

namespace tg::b2bua {
namespace {

using sip::HeaderId;
using sip::Method;
using transaction::ClientTransaction;
using transaction::ServerTransaction;
using transport::Zone;

// An answer inside the dialog (a re-INVITE's or UPDATE's 2xx, a late offer's ACK) that the
// offer/answer hook refuses, handled as the initial INVITE's (OutgoingInvite::refuseBAnswer):
// the answer never crosses without its body; the call ends with a BYE on both legs, so that
// neither side keeps a session the relay does not carry.
void endOnRefusedAnswer(InDialogRelay& relay, B2buaContext& ctx, Call& call, std::string_view why) {
  TG_LOG(kB2bua, warn, "call={} answer in the dialog refused: {}; ending the call", call.uuid, why);
  relay.sendBye(call, Side::kA);
  relay.sendBye(call, Side::kB);
  ctx.calls.endNow(call, Disposition::kAnswered, 488, "media: " + std::string(why));
}

}  // namespace

void InDialogRelay::respond(ServerTransaction& st, const Leg& leg, int code,
                            std::string_view reason) {
  ctx_.layer->respond(st, code, messages_.response(st, leg, code, reason, nullptr));
}

void InDialogRelay::onRequest(Call& call, Side side, ServerTransaction& st) {
  const sip::Message& req = st.request();
  Leg& leg = call.leg(side);
  if (req.to()->tag() != leg.localTag) {
    ++ctx_.stats.unknownDialog;
    ctx_.layer->respond(st, 481, messages_.localAnswer(st, 481));
    return;
  }
  const uint32_t cseq = req.cseq()->number;
  if (cseq <= leg.remoteCseq && req.method() != Method::kPrack) {
    respond(st, leg, 500, "CSeq Out of Order");
    return;
  }
  leg.remoteCseq = std::max(leg.remoteCseq, cseq);

  switch (req.method()) {
    case Method::kBye: {
      respond(st, leg, 200);
      if (call.state != CallState::kConfirmed) {
        // BYE before the answer reached us: treat it as a cancellation.
        call.cancelled = true;
        if (call.bInvite != nullptr && call.bInvite->receivedProvisional()) invite_.cancelB(call);
        invite_.respondA(call, 487, {}, nullptr);
        if (call.bInvite == nullptr) {
          ctx_.calls.endNow(call, Disposition::kCancelled, 487, "cancelled by caller");
        } else {
          ctx_.calls.recordEnd(call, Disposition::kCancelled, 487, "cancelled by caller");
        }
        return;
      }
      sendBye(call, other(side));
      ctx_.calls.endNow(call, Disposition::kAnswered, 200,
                        side == Side::kA ? "bye-from-a" : "bye-from-b");
      return;
    }
    case Method::kRefer: {
      const config::Config& config = *ctx_.config;
      const bool allowed = call.zone(side) == Zone::kPbx     ? config.pbx.allowRefer
                           : call.zone(side) == Zone::kTrunk ? config.trunk.allowRefer
                                                             : false;
      if (!allowed) {
        ++ctx_.stats.referRefused;
        TG_LOG(kB2bua, info, "call={} REFER refused (transfer not allowed in the {} zone)",
               call.uuid, transport::zoneName(call.zone(side)));
        respond(st, leg, 403, "REFER Not Allowed");
        return;
      }
      break;
    }
    case Method::kInvite:
      if (call.reinvitePending || call.state != CallState::kConfirmed) {
        respond(st, leg, 491);  // glare, §14.1
        return;
      }
      call.reinvitePending = true;
      break;
    case Method::kPrack:
      // We never send reliable provisionals to A, so there is nothing to acknowledge.
      respond(st, leg, 481);
      return;
    default:
      break;
  }
  if (req.method() == Method::kInvite || req.method() == Method::kUpdate) {
    // §12.2.2: a target refresh request replaces the remote target with its Contact.
    if (std::string_view t = contactUri(req); !t.empty()) leg.remoteTarget = std::string(t);
  }
  relayRequest(call, side, st);
}

void InDialogRelay::relayRequest(Call& call, Side from, ServerTransaction& st) {
  const Side toSide = other(from);
  Leg& to = call.leg(toSide);
  if (to.remoteTag.empty()) {
    respond(st, call.leg(from), 481);
    return;
  }
  const sip::Message& req = st.request();
  Relay relay;
  relay.id = call.nextRelayId++;
  relay.from = from;
  relay.method = req.method();
  relay.server = &st;
  relay.clientCseq = ++to.localCseq;
  const std::string branch = transaction::TransactionLayer::newBranch();
  // Headers without which the relayed request is malformed: REFER needs its Refer-To (RFC 3515
  // §2.4.1; the zone chose to allow transfers), NOTIFY its Event and Subscription-State
  // (RFC 6665 §8.2.1).
  LegMessages::ExtraHeaders extra;
  auto keep = [&](HeaderId id) {
    if (req.has(id)) extra.emplace_back(sip::headerName(id), std::string(req.value(id)));
  };
  if (req.method() == Method::kRefer) keep(HeaderId::kReferTo);
  if (req.method() == Method::kNotify) {
    keep(HeaderId::kEvent);
    keep(HeaderId::kSubscriptionState);
  }
  const LegMessages::Crossing crossing{req, call, from};
  std::string refused;
  std::string bytes = messages_.inDialog(to, call.zone(toSide), req.methodText(), relay.clientCseq,
                                         branch, &crossing, extra, &refused);
  if (!refused.empty()) {
    // An offer that cannot cross (re-INVITE, UPDATE): the sender keeps its session as it was.
    --to.localCseq;
    if (req.method() == Method::kInvite) call.reinvitePending = false;
    TG_LOG(kB2bua, warn, "call={} {} refused: {}", call.uuid, req.methodText(), refused);
    ctx_.layer->respond(st, 488, messages_.notAcceptable(st, call.leg(from), refused));
    return;
  }
  st.owner = this;
  st.ownerId = call.id;
  st.ownerTag = relay.id;
  const uint64_t id = relay.id;
  Relay& stored = call.relays.emplace(id, std::move(relay)).first->second;
  stored.client =
      &ctx_.layer->request(std::move(bytes), branch, req.method(), to.peer, this, call.id, id);
}

void InDialogRelay::onResponse(ClientTransaction& ct, const sip::Message& response) {
  Call* call = ctx_.calls.findCall(ct.ownerId);
  if (call == nullptr) {
    if (ct.method() == Method::kInvite && response.statusCode() >= 200 &&
        response.statusCode() < 300) {
      invite_.ackAndByeStray(response, ct.target());
    }
    return;
  }
  auto it = call->relays.find(ct.ownerTag);
  if (it == call->relays.end()) return;
  if (ClientTransaction* retry = invite_.answerChallenge(*call, ct, response)) {
    it->second.client = retry;
    it->second.clientCseq = call->leg(call->zoneA == Zone::kTrunk ? Side::kA : Side::kB).localCseq;
    return;
  }
  relayResponse(*call, it->second, response);
}

void InDialogRelay::relayResponse(Call& call, Relay& relay, const sip::Message& response) {
  const int code = response.statusCode();
  const bool invite = relay.method == Method::kInvite;
  if (invite && code >= 200 && code < 300) {
    // Target refresh (§12.2.1.2) on the leg that answered.
    Leg& answering = call.leg(other(relay.from));
    if (std::string_view t = contactUri(response); !t.empty()) answering.remoteTarget = t;
    if (!relay.clientAck.empty()) {
      ctx_.sender->send(answering.peer, relay.clientAck);  // a retransmitted 2xx: ACK again
      return;
    }
    if (relay.server == nullptr || relay.server->lastStatus() >= 300) {
      // The requester was answered already (it cancelled): no ACK will come from it, but the
      // 2xx must be ACKed all the same (§13.2.2.4).
      const Side to = other(relay.from);
      relay.clientAck = messages_.inDialog(answering, call.zone(to), "ACK", relay.clientCseq,
                                           transaction::TransactionLayer::newBranch());
      ctx_.sender->send(answering.peer, relay.clientAck);
      call.reinvitePending = false;
      return;
    }
  }
  if (code == 100 || relay.server == nullptr) return;
  if (code >= 200 && invite) call.reinvitePending = false;
  if (relay.server->lastStatus() >= 200) return;  // answered already (a retransmitted final)
  ServerTransaction& st = *relay.server;
  const LegMessages::Crossing crossing{response, call, other(relay.from)};
  std::string refused;
  std::string bytes = messages_.response(st, call.leg(relay.from), code, response.reasonPhrase(),
                                         &crossing, &refused);
  if (!refused.empty() && code >= 200 && code < 300) {
    // The requester gets 488 with the Warning; the answerer's 2xx to an INVITE is ACKed
    // (without a body: there is nothing to answer with) before its BYE.
    ctx_.layer->respond(st, 488, messages_.notAcceptable(st, call.leg(relay.from), refused));
    if (invite) {
      const Side to = other(relay.from);
      Leg& answering = call.leg(to);
      relay.clientAck = messages_.inDialog(answering, call.zone(to), "ACK", relay.clientCseq,
                                           transaction::TransactionLayer::newBranch());
      ctx_.sender->send(answering.peer, relay.clientAck);
    }
    endOnRefusedAnswer(*this, ctx_, call, refused);
    return;
  }
  ctx_.layer->respond(st, code, std::move(bytes));
  if ((code == 481 || code == 408) && relay.method != Method::kBye) {
    // §12.2.1.2: the far dialog is gone; end ours on both sides.
    sendBye(call, relay.from);
    ctx_.calls.endNow(call, Disposition::kAnswered, code,
                      relay.from == Side::kA ? "b-leg-dialog-gone" : "a-leg-dialog-gone");
  }
}

void InDialogRelay::onClientFailure(ClientTransaction& ct, bool /*transportError*/) {
  Call* call = ctx_.calls.findCall(ct.ownerId);
  if (call == nullptr) return;
  auto it = call->relays.find(ct.ownerTag);
  if (it == call->relays.end()) return;
  Relay& relay = it->second;
  relay.client = nullptr;
  if (relay.method == Method::kInvite) call->reinvitePending = false;
  if (relay.server != nullptr && relay.server->lastStatus() < 200) {
    respond(*relay.server, call->leg(relay.from), 408);
  }
  // §12.2.1.2: a peer that no longer answers in-dialog requests is gone; end the call so
  // that neither the dialog nor the CDR is left open.
  if (relay.method != Method::kBye) {
    const Side gone = other(relay.from);
    TG_LOG(kB2bua, warn, "call={} the {} side stopped answering; ending the call", call->uuid,
           gone == Side::kA ? "A" : "B");
    sendBye(*call, relay.from);
    ctx_.calls.endNow(*call, Disposition::kAnswered, 408,
                      gone == Side::kA ? "a-leg-timeout" : "b-leg-timeout");
  }
}

void InDialogRelay::onCancel(ServerTransaction& invite) {
  // A relayed re-INVITE: answer it as terminated and cancel its relay on the other leg.
  ctx_.layer->respond(invite, 487,
                      sip::responseTo(invite.request(), 487, {}, invite.localTag()).build());
  Call* call = ctx_.calls.findCall(invite.ownerId);
  if (call == nullptr) return;
  auto it = call->relays.find(invite.ownerTag);
  if (it != call->relays.end() && it->second.client != nullptr &&
      it->second.client->receivedProvisional()) {
    invite_.sendCancel(*it->second.client, call->id);
  }
}

void InDialogRelay::onAck(ServerTransaction& invite, const sip::Message& ack,
                          const transport::Packet& /*packet*/) {
  Call* call = ctx_.calls.findCall(invite.ownerId);
  if (call == nullptr) return;
  auto it = call->relays.find(invite.ownerTag);
  if (it == call->relays.end() || it->second.method != Method::kInvite) return;
  Relay& relay = it->second;
  const Side to = other(relay.from);
  Leg& leg = call->leg(to);
  const LegMessages::Crossing crossing{ack, *call, relay.from};
  std::string refused;
  // A refused answer leaves the ACK without a body; the 2xx is ACKed all the same.
  relay.clientAck =
      messages_.inDialog(leg, call->zone(to), "ACK", relay.clientCseq,
                         transaction::TransactionLayer::newBranch(), &crossing, {}, &refused);
  ctx_.sender->send(leg.peer, relay.clientAck);
  if (!refused.empty()) endOnRefusedAnswer(*this, ctx_, *call, refused);
}

void InDialogRelay::onTerminated(transaction::Transaction& t) {
  Call* call = ctx_.calls.findCall(t.ownerId);
  if (call == nullptr) return;
  auto it = call->relays.find(t.ownerTag);
  if (it == call->relays.end()) return;
  Relay& relay = it->second;
  if (&t == relay.server) relay.server = nullptr;
  if (&t == relay.client) relay.client = nullptr;
  if (relay.server == nullptr && relay.client == nullptr) call->relays.erase(it);
}

void InDialogRelay::sendBye(Call& call, Side side) {
  Leg& leg = call.leg(side);
  if (leg.remoteTag.empty()) return;
  // §13.2.2.4: B's 2xx is ACKed before its dialog ends, even when A's ACK never came (A timed
  // out, or its BYE overtook its ACK).
  if (side == Side::kB && !call.bAcked) invite_.sendAckToB(call, nullptr);
  const std::string branch = transaction::TransactionLayer::newBranch();
  ctx_.layer->request(messages_.inDialog(leg, call.zone(side), "BYE", ++leg.localCseq, branch),
                      branch, Method::kBye, leg.peer, &invite_.localRequests(), call.id);
}

void InDialogRelay::abandon(Call& call) {
  for (auto& [rid, relay] : call.relays) {
    if (relay.client != nullptr && relay.method == Method::kInvite &&
        relay.client->receivedProvisional()) {
      invite_.sendCancel(*relay.client, 0);
    }
    if (relay.server != nullptr && relay.server->lastStatus() < 200) {
      respond(*relay.server, call.leg(relay.from), 487);
    }
  }
}

}  // namespace tg::b2bua
