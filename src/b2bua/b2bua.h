#pragma once

// The back-to-back user agent: turns each INVITE into a call of two legs (B2BUA.md), relays
// what crosses, hides the topology by building every outgoing message anew, writes CDRs, and
// offers the in-process API to end any call.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "b2bua/call.h"
#include "b2bua/health.h"
#include "base/random.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "db/cdr_store.h"
#include "guard/policy/call_policy.h"
#include "guard/security_event.h"
#include "sip/builder.h"
#include "transaction/transaction_layer.h"
#include "transaction/transaction_user.h"

namespace tg::b2bua {

// Finds the local listener to use for a zone and transport (Via, Contact).
using EndpointLookup =
    std::function<const transport::LocalEndpoint*(transport::Zone, config::TransportKind)>;

struct B2buaStats {
  uint64_t callsStarted = 0;
  uint64_t callsAnswered = 0;
  uint64_t callsFailed = 0;
  uint64_t failovers = 0;
  uint64_t referRefused = 0;
  uint64_t unknownDialog = 0;  // in-dialog requests answered 481
  uint64_t policyRejected = 0;  // new calls the call policy refused
  uint64_t policyShadow = 0;    // calls it would have refused (enforce: false)
  uint64_t policyEnded = 0;     // live calls ended by a spend cap
  uint64_t emergencyCalls = 0;
};

struct CallSummary {
  uint64_t id;
  std::string uuid;
  Direction direction;
  CallState state;
  std::string provider;
  std::string dialled;
};

class B2bua final : public transaction::TransactionUser {
 public:
  B2bua(config::ConfigPtr config, base::TimerQueue& timers, EndpointLookup endpoints,
        db::CdrStore* cdrs);
  ~B2bua() override;

  // The transaction layer and the B2BUA refer to each other; attach before traffic flows.
  void attach(transaction::TransactionLayer& layer, transaction::Sender& sender);
  void startHealthChecks();
  // Makes the Call-IDs of the dialogs this B2BUA creates (B legs, pings); default: random.
  void setCallIdGenerator(std::function<std::string()> generate) {
    newCallId_ = std::move(generate);
  }
  // A reloaded configuration: new calls use it; calls in progress keep their legs.
  void updateConfig(config::ConfigPtr config);

  // The toll-fraud call policy, one engine shared by every worker (it is thread-safe);
  // nullptr (the default) admits every call. Set before traffic flows; must outlive this.
  void setCallPolicy(guard::policy::CallPolicy* policy) { policy_ = policy; }
  // Where policy rejections (and shadow decisions) are recorded; optional, must outlive this.
  void setEventSink(guard::EventSink* events) { events_ = events; }
  // overCap() hands each over-cap call to one worker only: the handles this B2BUA does not own
  // go here, so the app can pass them to the other workers' endPolicyCalls(). Without it they
  // are dropped (right with one worker).
  void setForeignCapHandler(std::function<void(std::vector<uint64_t> handles)> handler) {
    foreignCaps_ = std::move(handler);
  }
  // Ends the calls of these policy handles that live here (spend cap); returns how many.
  size_t endPolicyCalls(const std::vector<uint64_t>& handles, std::string_view reason);
  // How often overCap() is asked while this B2BUA has calls the policy tracks.
  static constexpr base::Duration kCapPollInterval = std::chrono::seconds(1);

  // Ends a call from inside the process (fraud engine, limits, admin): BYE on both legs once
  // answered, CANCEL/final response before. Returns false when no such call exists.
  bool endCall(uint64_t callId, std::string_view reason);

  std::vector<CallSummary> activeCalls() const;
  size_t callCount() const { return calls_.size(); }
  size_t dialogIndexSize() const { return dialogs_.size(); }
  const B2buaStats& stats() const { return stats_; }
  const HealthMonitor& health() const { return *health_; }

  // TransactionUser
  void onRequest(transaction::ServerTransaction& st) override;
  void onCancel(transaction::ServerTransaction& invite) override;
  void onAck(transaction::ServerTransaction* invite, const sip::Message& ack,
             const transport::Packet& packet) override;
  void onAckTimeout(transaction::ServerTransaction& invite) override;
  void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
  void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
  void onStrayResponse(const sip::Message& response, const transport::Packet& packet) override;
  void onTerminated(transaction::Transaction& t) override;

 private:
  // Relay tags on client transactions: the initial INVITE, BYEs we originate, relays.
  static constexpr uint64_t kTagInitialInvite = 0;
  static constexpr uint64_t kTagLocal = (uint64_t{1} << 61);  // BYE/CANCEL/PRACK we originate

  struct DialogRef {
    uint64_t callId;
    Side side;
  };

  void rebuildPeers();
  void answerLocally(transaction::ServerTransaction& st, int code, std::string_view reason = {});
  void startCall(transaction::ServerTransaction& st);
  // Asks the call policy about a new INVITE. False: the call was refused (answered, recorded).
  bool admitByPolicy(transaction::ServerTransaction& st, Call& call);
  void rejectByPolicy(transaction::ServerTransaction& st, const Call& call,
                      const guard::policy::Admission& admission);
  void recordPolicyEvent(const transaction::ServerTransaction& st,
                         const guard::policy::Admission& admission, std::string_view action);
  void armCapPoll();
  void pollCaps();
  bool sendInitialInvite(Call& call);
  void onInitialInviteResponse(Call& call, transaction::ClientTransaction& ct,
                               const sip::Message& response);
  void onInitialInviteFailed(Call& call, int code, std::string_view reason);
  void relayProvisional(Call& call, const sip::Message& response);
  void relayFinalToA(Call& call, const sip::Message& response);
  void learnBDialog(Call& call, const sip::Message& response);
  void sendAckToB(Call& call, const sip::Message* aAck);
  void resendAckToB(Call& call);
  void sendPrack(Call& call, const sip::Message& reliableProvisional);

  void inDialogRequest(transaction::ServerTransaction& st);
  void relayRequest(Call& call, Side from, transaction::ServerTransaction& st);
  void relayResponse(Call& call, Relay& relay, const sip::Message& response);
  void sendBye(Call& call, Side side);
  void cancelB(Call& call);
  // CANCEL for a client INVITE transaction that has received a provisional (§9.1).
  void sendCancel(const transaction::ClientTransaction& invite,
                  const transport::SendTarget& peer, uint64_t owner);

  void endNow(Call& call, std::string_view disposition, int code, std::string_view reason);
  // Ends a call A has already been answered for (cancel, no-answer timer, endCall()) with the
  // disposition and code A was given.
  void endAbandoned(Call& call);
  void eraseCall(uint64_t callId);
  Call* findCall(uint64_t id);

  // Message construction.
  std::string via(transport::Zone zone, config::TransportKind transport,
                  const std::string& branch) const;
  std::string contactFor(transport::Zone zone, config::TransportKind transport) const;
  using ExtraHeaders = std::vector<std::pair<std::string_view, std::string>>;
  std::string buildInDialog(const Leg& leg, transport::Zone zone, std::string_view method,
                            uint32_t cseq, const std::string& branch, const sip::Message* copyFrom,
                            const ExtraHeaders& extra = {}) const;
  std::string responseFor(const transaction::ServerTransaction& st, const Leg& leg, int code,
                          std::string_view reason, const sip::Message* copyFrom) const;
  void copyAllowedHeaders(const sip::Message& from, sip::MessageBuilder& out) const;
  void ackAndByeStray(const sip::Message& response, const transport::SendTarget& target);
  void respondA(Call& call, int code, std::string_view reason, const sip::Message* copyFrom);

  config::ConfigPtr config_;
  guard::policy::CallPolicy* policy_ = nullptr;
  guard::EventSink* events_ = nullptr;
  std::function<void(std::vector<uint64_t>)> foreignCaps_;
  std::unordered_map<uint64_t, uint64_t> policyCalls_;  // policy handle -> call id
  base::TimerId capPoll_ = base::kNoTimer;
  base::TimerQueue& timers_;
  EndpointLookup endpoints_;
  db::CdrStore* cdrs_;
  transaction::TransactionLayer* layer_ = nullptr;
  transaction::Sender* sender_ = nullptr;
  std::unique_ptr<HealthMonitor> health_;
  std::vector<transport::SendTarget> providerTargets_;  // parallel to config_->trunk.providers
  std::vector<transport::SendTarget> pbxTargets_;

  std::function<std::string()> newCallId_ = [] { return base::randomHex(16); };
  std::unordered_map<uint64_t, std::unique_ptr<Call>> calls_;
  // Leg lookup for in-dialog requests: zone letter + Call-ID.
  std::unordered_map<std::string, DialogRef> dialogs_;
  // Stray 2xx dialogs (Call-ID + To tag) already sent a BYE: their retransmissions are only
  // ACKed. Entries expire after 64*T1.
  std::unordered_map<std::string, base::TimerId> byedStrays_;
  uint64_t nextCallId_ = 1;
  B2buaStats stats_;
};

}  // namespace tg::b2bua
