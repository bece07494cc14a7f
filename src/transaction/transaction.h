#pragma once

// RFC 3261 §17 transactions. The state machines name both axes as reSIProcate does: which
// machine (client/server, INVITE/non-INVITE) and which state. RFC 6026's Accepted state is used
// for INVITE 2xx on both sides, so that 2xx retransmissions and their ACKs are handled here and
// not re-invented by the B2BUA.

#include <cstdint>
#include <memory>
#include <string>

#include "base/timer_queue.h"
#include "sip/message.h"
#include "transport/transport.h"

namespace tg::transaction {

enum class Kind : uint8_t { kClientInvite, kClientNonInvite, kServerInvite, kServerNonInvite };

enum class State : uint8_t {
  kCalling,     // client INVITE: request sent, nothing back yet
  kTrying,      // non-INVITE: request sent / received, no response yet
  kProceeding,  // a provisional response was sent or received
  kAccepted,    // INVITE answered 2xx (RFC 6026): absorbing 2xx / INVITE retransmissions
  kCompleted,   // a final non-2xx was sent or received: absorbing retransmissions
  kConfirmed,   // server INVITE: ACK for the non-2xx received
  kTerminated,
};

std::string_view kindName(Kind k);
std::string_view stateName(State s);

class TransactionLayer;
class TransactionOwner;

class Transaction {
 public:
  Transaction(Kind kind, std::string key) : kind_(kind), key_(std::move(key)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  virtual ~Transaction() = default;

  Kind kind() const { return kind_; }
  State state() const { return state_; }
  const std::string& key() const { return key_; }
  bool reliable() const { return target_.transport != config::TransportKind::kUdp; }
  const transport::SendTarget& target() const { return target_; }

  // Who hears about this transaction (transaction_owner.h); null: the layer's TransactionUser.
  TransactionOwner* owner = nullptr;
  // Free for the owner, to find its state again: e.g. which call, and which request of it.
  uint64_t ownerId = 0;
  uint64_t ownerTag = 0;

 protected:
  friend class TransactionLayer;
  void cancelTimers(base::TimerQueue& timers);

  Kind kind_;
  State state_ = State::kTrying;
  std::string key_;
  transport::SendTarget target_;
  base::TimerId retransmitTimer_ = base::kNoTimer;  // A, E, G, or the 2xx retransmission
  base::TimerId timeoutTimer_ = base::kNoTimer;     // B, F, H, or L/M in Accepted
  base::TimerId cleanupTimer_ = base::kNoTimer;     // D, I, J, K
  base::Duration retransmitInterval_{};
};

class ServerTransaction final : public Transaction {
 public:
  static const sip::Message& releasedRequest() {
    static const sip::Message empty;
    return empty;
  }

  ServerTransaction(Kind kind, std::string key, std::unique_ptr<sip::Message> request)
      : Transaction(kind, std::move(key)), request_(std::move(request)) {}

  // The request. Once released (after a final answer, when only retransmissions remain to be
  // absorbed) this is an empty message: answers built from it are ignored by the layer anyway.
  const sip::Message& request() const { return request_ ? *request_ : releasedRequest(); }
  bool hasRequest() const { return request_ != nullptr; }
  // Frees the request and the last response once nothing can need them again.
  void releaseMessages() {
    request_.reset();
    std::string().swap(lastResponse_);
  }
  void releaseRequest() { request_.reset(); }
  // The last response sent (for retransmission) and its status code (0 before any).
  int lastStatus() const { return lastStatus_; }
  // The To tag this transaction answers with, fixed on the first response that needs one.
  const std::string& localTag() const { return localTag_; }
  void setLocalTag(std::string tag) { localTag_ = std::move(tag); }
  // A CANCEL for this INVITE was received and answered.
  bool cancelled() const { return cancelled_; }

 private:
  friend class TransactionLayer;
  std::unique_ptr<sip::Message> request_;
  std::string lastResponse_;
  int lastStatus_ = 0;
  std::string localTag_;
  std::string ackKey_;  // server INVITE in Accepted: Call-ID + CSeq number, to match the 2xx ACK
  bool cancelled_ = false;
};

class ClientTransaction final : public Transaction {
 public:
  ClientTransaction(Kind kind, std::string key, std::string request, sip::Method method)
      : Transaction(kind, std::move(key)), request_(std::move(request)), method_(method) {}

  const std::string& requestBytes() const { return request_; }
  sip::Method method() const { return method_; }
  int lastStatus() const { return lastStatus_; }
  // Whether a provisional response has arrived (a CANCEL may only be sent after one, §9.1).
  bool receivedProvisional() const { return lastStatus_ >= 100 && lastStatus_ < 200; }

 private:
  friend class TransactionLayer;
  std::string request_;
  sip::Method method_;
  int lastStatus_ = 0;
  std::string ackForNon2xx_;  // built on the first non-2xx final, resent on retransmissions
  // A large request moved from UDP to TCP (large_requests.h): the request as built for UDP
  // and where it would have gone, to send it there if the peer refuses TCP. Empty otherwise.
  std::string udpRequest_;
  transport::SendTarget udpTarget_;
};

}  // namespace tg::transaction
