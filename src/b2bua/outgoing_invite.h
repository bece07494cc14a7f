#pragma once

// The initial INVITE of a call, both sides (B2BUA.md steps 2-6): B's INVITE to each candidate
// in turn (failover on 503, 408, timeouts and refused credentials), provisionals relayed to A
// with PRACK for reliable ones (RFC 3262), the first 2xx answered to A and ACKed on B, CANCEL
// when A gives up, and the providers' challenges answered with trunkguard's credentials. It owns
// A's INVITE and B's INVITE transactions, and those of the BYEs, CANCELs and PRACKs the gateway
// sends itself.

#include <string>
#include <string_view>
#include <unordered_map>

#include "b2bua/call.h"
#include "b2bua/call_context.h"
#include "b2bua/health.h"
#include "b2bua/leg_messages.h"
#include "b2bua/phone_calls.h"
#include "b2bua/router.h"
#include "transaction/transaction_owner.h"

namespace tg::b2bua {

class OutgoingInvite final : public transaction::TransactionOwner {
 public:
  OutgoingInvite(B2buaContext& context, const LegMessages& messages, const Router& router,
                 PhoneCalls& phones, HealthMonitor& health)
      : ctx_(context),
        messages_(messages),
        router_(router),
        phones_(phones),
        health_(health),
        local_(*this) {}
  ~OutgoingInvite() override;
  OutgoingInvite(const OutgoingInvite&) = delete;
  OutgoingInvite& operator=(const OutgoingInvite&) = delete;

  // Takes ownership of A's INVITE (`call.aInvite`).
  void adopt(transaction::ServerTransaction& aInvite, const Call& call);
  // Sends B's INVITE to the call's next candidate; false when none is left. True also when
  // A's offer was refused (488 sent, the call ended).
  bool sendNext(Call& call);
  // Answers A's INVITE while it has no final answer (`copyFrom`: B's response relayed).
  void respondA(Call& call, int code, std::string_view reason, const sip::Message* copyFrom);
  // CANCEL for B's INVITE, once (§9.1: only after a provisional).
  void cancelB(Call& call);
  // CANCEL for a client INVITE transaction that has received a provisional (§9.1), sent
  // where the INVITE went (its transport too: a large INVITE may have gone over TCP).
  void sendCancel(const transaction::ClientTransaction& invite, uint64_t callId);
  void sendAckToB(Call& call, const sip::Message* aAck);
  void resendAckToB(Call& call);
  // A provider's 401/407 to a request sent on its leg: the request again with the stored
  // credentials (src/trunk/challenge_retry.h). The new transaction, or null when not answered.
  transaction::ClientTransaction* answerChallenge(Call& call,
                                                  const transaction::ClientTransaction& ct,
                                                  const sip::Message& response);
  // A 2xx no call wants (too late, another fork, a stray): ACK it, and BYE its dialog once.
  void ackAndByeStray(const sip::Message& response, const transport::SendTarget& target);
  // The owner of the requests the gateway sends itself on a leg (BYE, CANCEL, PRACK).
  transaction::TransactionOwner& localRequests() { return local_; }

  // TransactionOwner: A's INVITE and B's INVITE (ownerId: the call).
  void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
  void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
  void onCancel(transaction::ServerTransaction& invite) override;
  void onAck(transaction::ServerTransaction& invite, const sip::Message& ack,
             const transport::Packet& packet) override;
  void onAckTimeout(transaction::ServerTransaction& invite) override;
  void onTerminated(transaction::Transaction& t) override;

 private:
  // BYE, CANCEL and PRACK of ours (ownerId: the call, 0 once it is gone): only a provider's
  // challenge needs an answer.
  class LocalRequests final : public transaction::TransactionOwner {
   public:
    explicit LocalRequests(OutgoingInvite& invite) : invite_(invite) {}
    void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
    void onClientFailure(transaction::ClientTransaction& /*ct*/, bool /*error*/) override {}
    void onTerminated(transaction::Transaction& /*t*/) override {}

   private:
    OutgoingInvite& invite_;
  };

  void onBResponse(Call& call, transaction::ClientTransaction& ct, const sip::Message& response);
  void onAnswered(Call& call, int code, const sip::Message& response,
                  const transport::SendTarget& from);
  // B's response `response` for A, its body through the offer/answer hook, into *bytes; why
  // the body was refused ("" when it crosses).
  std::string buildForA(const Call& call, int code, const sip::Message& response,
                        std::string* bytes) const;
  // B's answer (a 183 or 2xx) carried a session description the gateway refuses: A gets 488
  // with a Warning saying why; B's early dialog is cancelled, its 2xx ACKed and BYEd (never a
  // half call); the record fails with 488 and the reason.
  void refuseBAnswer(Call& call, const sip::Message& response, const transport::SendTarget& from,
                     std::string_view why);
  void onBRefused(Call& call, transaction::ClientTransaction& ct, const sip::Message& response);
  void learnBDialog(Call& call, const sip::Message& response);
  void relayFinalToA(Call& call, const sip::Message& response);
  void sendPrack(Call& call, const sip::Message& reliableProvisional);
  // The same as answerChallenge for a BYE of ours that outlived its call (the provider is
  // found by address).
  void answerOrphanChallenge(const transaction::ClientTransaction& ct,
                             const sip::Message& response);
  transaction::ClientTransaction* resendWithCredentials(const config::Provider& provider,
                                                        const transaction::ClientTransaction& ct,
                                                        const sip::Message& response,
                                                        std::string_view uuid, uint32_t& cseq);

  B2buaContext& ctx_;
  const LegMessages& messages_;
  const Router& router_;
  PhoneCalls& phones_;
  HealthMonitor& health_;
  LocalRequests local_;
  // Stray 2xx dialogs (Call-ID + To tag) already sent a BYE: their retransmissions are only
  // ACKed. Entries expire after 64*T1.
  std::unordered_map<std::string, base::TimerId> byedStrays_;
};

}  // namespace tg::b2bua
