#pragma once

// What the transaction layer tells its user (the B2BUA) beyond single transactions: new
// requests, and messages that matched none. The user also owns every transaction nobody else
// claimed (TransactionOwner). Every call happens on the worker thread inside
// TransactionLayer::receive() or a timer; the user may start or answer transactions from within
// these callbacks.

#include "sip/message.h"
#include "transaction/transaction.h"
#include "transaction/transaction_owner.h"
#include "transport/transport.h"

namespace tg::transaction {

class TransactionUser : public TransactionOwner {
 public:
  // A new request (never a retransmission). INVITEs have already been answered 100 Trying.
  // CANCELs arrive through the INVITE's owner's onCancel instead; ACKs through onAck.
  // The user may hand `st` to an owner (ServerTransaction::owner) before returning.
  virtual void onRequest(ServerTransaction& st) = 0;

  // An ACK that matched no INVITE this side answered 2xx.
  virtual void onStrayAck(const sip::Message& ack, const transport::Packet& packet) = 0;

  // A response that matched no transaction (e.g. a 2xx retransmitted after Timer M).
  virtual void onStrayResponse(const sip::Message& response, const transport::Packet& packet) = 0;
};

}  // namespace tg::transaction
