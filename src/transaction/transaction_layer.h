#pragma once

// The transaction table of one worker: matches inbound messages to transactions (RFC 3261
// §17.1.3, §17.2.3, with RFC 2543 matching for peers without the magic cookie), runs the
// timers A-M, absorbs retransmissions, and reports to each transaction's owner (or the
// TransactionUser).

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/timer_queue.h"
#include "config/config.h"
#include "sip/message.h"
#include "transaction/large_requests.h"
#include "transaction/transaction.h"
#include "transaction/transaction_user.h"
#include "transport/transport.h"

namespace tg::transaction {

// Where the layer sends bytes (the TransportManager in the gateway, a recorder in tests).
class Sender {
 public:
  virtual ~Sender() = default;
  // A request (or an ACK, or a STUN answer): bytes that carry no status code.
  virtual void send(const transport::SendTarget& target, std::string bytes) = 0;
  // A response whose status code the caller knows, so nobody has to read it back from the
  // bytes (the gateway's guard counts the final ones). By default, sent like any bytes.
  virtual void sendResponse(const transport::SendTarget& target, int status, std::string bytes) {
    (void)status;
    send(target, std::move(bytes));
  }
};

struct TransactionStats {
  uint64_t serverCreated = 0;
  uint64_t clientCreated = 0;
  uint64_t retransmissionsAbsorbed = 0;  // inbound duplicates answered from state
  uint64_t retransmissionsSent = 0;      // our requests / responses resent on timers
  uint64_t clientTimeouts = 0;
  uint64_t ackTimeouts = 0;
  uint64_t strayResponses = 0;
  // Answered non-INVITE transactions ended before Timer J to stay within kMaxLingeringErrors.
  uint64_t lingeringEndedEarly = 0;
};

// RFC 3261 §18.2.2 / RFC 3581: where responses to a request that arrived in `packet` go.
transport::SendTarget responseTarget(const sip::Message& request, const transport::Packet& packet);

class TransactionLayer {
 public:
  TransactionLayer(base::TimerQueue& timers, Sender& sender, TransactionUser& user,
                   const config::TransactionTimers& settings);
  ~TransactionLayer();

  // A parsed, validated message and the packet it arrived in.
  void receive(std::unique_ptr<sip::Message> message, const transport::Packet& packet);

  // Sends a response (bytes built by the caller) on a server transaction and moves its state.
  void respond(ServerTransaction& st, int status, std::string bytes);

  // Ends a server transaction without a final response (an INVITE the gateway refuses in
  // silence after its 100 Trying): retransmissions of the request still get the last response
  // until Timer H's span has passed (at once on reliable transports), then it is gone.
  void dropSilently(ServerTransaction& st);

  // Starts a client transaction owned by `owner` (null: the TransactionUser), which finds it
  // again by `ownerId` and `ownerTag`. `branch` is the one in the request's top Via.
  ClientTransaction& request(std::string bytes, std::string_view branch, sip::Method method,
                             const transport::SendTarget& target, TransactionOwner* owner,
                             uint64_t ownerId = 0, uint64_t ownerTag = 0);

  // The transport could not deliver to `target`: fails client transactions still waiting for
  // their first response there, or sends them over UDP when they were large requests moved to
  // TCP (RFC 3261 §18.1.1: retry over UDP when the connection is refused).
  void onSendError(const transport::SendTarget& target);

  // Requests over 1300 bytes to a UDP target go over TCP through `large` (RFC 3261 §18.1.1);
  // without one (null, the default) they go as they are. Must outlive the layer.
  void setLargeRequests(LargeRequests* large) { large_ = large; }

  // Non-INVITE server transactions answered with an error (3xx-6xx: the 401s and 403s of a
  // credential-stuffing or scanning run) over UDP linger for Timer J (64*T1) to absorb
  // retransmissions, about 1 KB each; beyond this many the oldest ends early (a retransmission
  // after that is handled as a new request), so their memory is bounded whatever the rate.
  static constexpr size_t kMaxLingeringErrors = 4096;

  // A fresh branch with the RFC 3261 magic cookie.
  static std::string newBranch();

  size_t serverCount() const { return servers_.size(); }
  size_t clientCount() const { return clients_.size(); }
  const TransactionStats& stats() const { return stats_; }
  const config::TransactionTimers& settings() const { return settings_; }

 private:
  void receiveRequest(std::unique_ptr<sip::Message> message, const transport::Packet& packet);
  void receiveResponse(const sip::Message& response, const transport::Packet& packet);
  void receiveAck(std::unique_ptr<sip::Message> ack, const transport::Packet& packet);
  void receiveCancel(std::unique_ptr<sip::Message> cancel, const transport::Packet& packet);

  void sendRaw(const transport::SendTarget& target, const std::string& bytes);
  // A response of `st` (its status known): the first copy or a retransmission.
  void sendResponse(const ServerTransaction& st, int status, const std::string& bytes);
  void startResponseRetransmit(ServerTransaction& st);
  void retransmitResponse(ServerTransaction& st);
  void retransmitRequest(ClientTransaction& ct);
  // Sends ct's request for the first time (or again over UDP after TCP was refused) and
  // starts Timer A/E on an unreliable transport.
  void sendFirst(ClientTransaction& ct);
  void scheduleTimeout(Transaction& t, base::Duration after, std::function<void()> fn);
  void scheduleCleanup(Transaction& t, base::Duration after);
  // Counts `st` (just answered with an error over UDP) among the lingering ones, ending the
  // oldest beyond kMaxLingeringErrors.
  void lingerAnswered(ServerTransaction& st);
  void terminateServer(ServerTransaction& st);
  void terminateClient(ClientTransaction& ct);
  void buryLater();
  TransactionOwner& ownerOf(const Transaction& t) { return t.owner != nullptr ? *t.owner : user_; }

  base::Duration t1() const { return settings_.t1; }
  base::Duration t2() const { return settings_.t2; }
  base::Duration t4() const { return settings_.t4; }

  base::TimerQueue& timers_;
  Sender& sender_;
  TransactionUser& user_;
  config::TransactionTimers settings_;
  std::unordered_map<std::string, std::unique_ptr<ServerTransaction>> servers_;
  std::unordered_map<std::string, std::unique_ptr<ClientTransaction>> clients_;
  // Server INVITEs that sent a 2xx and wait for its ACK, by Call-ID + CSeq number.
  std::unordered_map<std::string, ServerTransaction*> awaitingAck_;
  // Terminated transactions are destroyed after the current callback has unwound.
  std::vector<std::unique_ptr<Transaction>> graveyard_;
  // Error-answered UDP non-INVITE server transactions waiting for Timer J (lingerAnswered):
  // the live ones, and all in the order they were answered (ended ones skipped when reached).
  std::unordered_map<const ServerTransaction*, uint64_t> lingering_;  // -> serial
  std::deque<std::pair<ServerTransaction*, uint64_t>> lingeringOrder_;
  uint64_t lingeringSerial_ = 0;
  base::TimerId buryTimer_ = base::kNoTimer;
  LargeRequests* large_ = nullptr;
  TransactionStats stats_;
};

}  // namespace tg::transaction
