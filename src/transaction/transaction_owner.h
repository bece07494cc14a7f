#pragma once

// Who hears about one transaction. Each transaction carries its owner (Transaction::owner):
// the call machinery, the registration relay, the health monitor and the trunk registration
// each receive their own transactions' events, so no central switch has to guess from ids whose
// a transaction is. A transaction without an owner reports to the layer's TransactionUser.
// Every call happens on the worker thread; an owner may start or answer transactions from
// within these callbacks.

#include "sip/message.h"
#include "transport/transport.h"

namespace tg::transaction {

class Transaction;
class ClientTransaction;
class ServerTransaction;

class TransactionOwner {
 public:
  virtual ~TransactionOwner() = default;

  // A response to a client transaction: provisionals, the final, and (INVITE only) every 2xx
  // retransmission while the transaction is Accepted, since the ACK for a 2xx is the owner's.
  virtual void onResponse(ClientTransaction& ct, const sip::Message& response) = 0;

  // Timer B or F fired, or the transport failed: no final response will come.
  virtual void onClientFailure(ClientTransaction& ct, bool transportError) = 0;

  // Only server INVITEs have the next three; an owner of none keeps the defaults.

  // A CANCEL matched `invite` (still without a final response); the layer has already
  // answered the CANCEL 200. The owner decides how to end the INVITE (normally 487).
  virtual void onCancel(ServerTransaction& /*invite*/) {}

  // An ACK for a 2xx this side sent on `invite` (which then stops retransmitting the 2xx).
  virtual void onAck(ServerTransaction& /*invite*/, const sip::Message& /*ack*/,
                     const transport::Packet& /*packet*/) {}

  // The 2xx to this INVITE was retransmitted for 64*T1 without an ACK (RFC 3261 §13.3.1.4).
  virtual void onAckTimeout(ServerTransaction& /*invite*/) {}

  // The transaction is about to be destroyed: drop any pointer to it.
  virtual void onTerminated(Transaction& t) = 0;
};

}  // namespace tg::transaction
