#pragma once

// Requests within a call's dialogs (B2BUA.md step 7): each is checked against its leg (tags,
// CSeq order), answered here when it must not cross (REFER where transfers are refused, PRACK,
// a re-INVITE in glare, §14.1), or relayed to the other leg and its answer relayed back. A BYE
// ends the call; a peer that stops answering, or whose dialog is gone, ends it too
// (§12.2.1.2). It owns the transactions of relayed requests, both sides.

#include <cstdint>

#include "b2bua/call.h"
#include "b2bua/call_context.h"
#include "b2bua/leg_messages.h"
#include "b2bua/outgoing_invite.h"
#include "transaction/transaction_owner.h"

namespace tg::b2bua {

class InDialogRelay final : public transaction::TransactionOwner {
 public:
  InDialogRelay(B2buaContext& context, const LegMessages& messages, OutgoingInvite& invite)
      : ctx_(context), messages_(messages), invite_(invite) {}

  // A request with a To tag on leg `side` of `call` (found by its dialog).
  void onRequest(Call& call, Side side, transaction::ServerTransaction& st);
  // BYE on one leg, once its dialog exists.
  void sendBye(Call& call, Side side);
  // The call is ending: relays still waiting for an answer get one now (487, as §15.1.2
  // recommends), and re-INVITEs still ringing on the other leg are cancelled.
  void abandon(Call& call);

  // TransactionOwner (ownerId: the call, ownerTag: the relay).
  void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
  void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
  void onCancel(transaction::ServerTransaction& invite) override;
  void onAck(transaction::ServerTransaction& invite, const sip::Message& ack,
             const transport::Packet& packet) override;
  void onTerminated(transaction::Transaction& t) override;

 private:
  void relayRequest(Call& call, Side from, transaction::ServerTransaction& st);
  void relayResponse(Call& call, Relay& relay, const sip::Message& response);
  void respond(transaction::ServerTransaction& st, const Leg& leg, int code,
               std::string_view reason = {});

  B2buaContext& ctx_;
  const LegMessages& messages_;
  OutgoingInvite& invite_;
};

}  // namespace tg::b2bua
