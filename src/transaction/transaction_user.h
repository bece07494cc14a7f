#pragma once

// What the transaction layer tells its user (the B2BUA). Every call happens on the worker thread
// inside TransactionLayer::receive() or a timer; the user may start or answer transactions from
// within these callbacks.

#include "sip/message.h"
#include "transaction/transaction.h"
#include "transport/transport.h"

namespace tg::transaction {

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;

  // A new request (never a retransmission). INVITEs have already been answered 100 Trying.
  // CANCELs arrive through onCancel instead; ACKs through onAck.
  virtual void onRequest(ServerTransaction& st) = 0;

  // A CANCEL matched `invite` (still without a final response); the layer has already
  // answered the CANCEL 200. The user decides how to end the INVITE (normally 487).
  virtual void onCancel(ServerTransaction& invite) = 0;

  // An ACK for a 2xx this side sent (matched to its INVITE server transaction, which then
  // stops retransmitting the 2xx), or an ACK that matched nothing (`invite` is null).
  virtual void onAck(ServerTransaction* invite, const sip::Message& ack,
                     const transport::Packet& packet) = 0;

  // The 2xx to this INVITE was retransmitted for 64*T1 without an ACK (RFC 3261 §13.3.1.4).
  virtual void onAckTimeout(ServerTransaction& invite) = 0;

  // A response to a client transaction: provisionals, the final, and (INVITE only) every 2xx
  // retransmission while the transaction is Accepted, since the ACK for a 2xx is the user's.
  virtual void onResponse(ClientTransaction& ct, const sip::Message& response) = 0;

  // Timer B or F fired, or the transport failed: no final response will come.
  virtual void onClientFailure(ClientTransaction& ct, bool transportError) = 0;

  // A response that matched no transaction (e.g. a 2xx retransmitted after Timer M).
  virtual void onStrayResponse(const sip::Message& response, const transport::Packet& packet) = 0;

  // The transaction is about to be destroyed: drop any pointer to it.
  virtual void onTerminated(Transaction& t) = 0;
};

}  // namespace tg::transaction
