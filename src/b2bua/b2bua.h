#pragma once

// The back-to-back user agent: turns each INVITE into a call of two legs (B2BUA.md), relays
// what crosses, hides the topology by building every outgoing message anew, writes CDRs, and
// offers the in-process API to end any call.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "b2bua/bindings.h"
#include "b2bua/call.h"
#include "b2bua/health.h"
#include "b2bua/registration_relay.h"
#include "base/random.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "db/cdr_store.h"
#include "guard/policy/call_policy.h"
#include "guard/security_event.h"
#include "sip/builder.h"
#include "transaction/transaction_layer.h"
#include "transaction/transaction_user.h"
#include "trunk/provider_targets.h"

namespace tg::auth {
class AuthService;
}  // namespace tg::auth

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
  uint64_t phoneCalls = 0;       // calls from authenticated remote phones (public zone)
  uint64_t phoneChallenges = 0;  // public-zone INVITEs answered with a challenge
  uint64_t callsToPhones = 0;    // PBX calls routed to a registered phone
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
    registrations_->setCallIdGenerator(generate);
    newCallId_ = std::move(generate);
  }
  // A reloaded configuration: new calls use it; calls in progress keep their legs.
  void updateConfig(config::ConfigPtr config);
  // Provider addresses resolved by DNS (src/trunk); without it providers are used as written.
  // Must outlive this. refreshProviderTargets() picks up changed addresses for new calls.
  void setProviderTargets(const trunk::ProviderTargets* targets) {
    providerAddresses_ = targets;
    rebuildPeers();
  }
  void refreshProviderTargets() { rebuildPeers(); }

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
  // How often overCap() is asked while this B2BUA has calls the policy tracks: a capped call
  // ends within this much before its paid time runs out.
  static constexpr base::Duration kCapPollInterval = std::chrono::milliseconds(250);

  // Remote phones on the public zone (docs/accounts.md): the accounts and lockout shared by
  // every worker, and the shared binding table (null: a private one). Without auth, public
  // REGISTERs and INVITEs are refused. Set before traffic flows; both must outlive this.
  void setRemotePhones(auth::AuthService* auth, Bindings* bindings);
  const Bindings& bindings() const { return *bindings_; }
  const RegistrationRelay& registrations() const { return *registrations_; }

  // Ends a call from inside the process (fraud engine, limits, admin): BYE on both legs once
  // answered, CANCEL/final response before. Returns false when no such call exists.
  bool endCall(uint64_t callId, std::string_view reason);

  std::vector<CallSummary> activeCalls() const;
  size_t callCount() const { return calls_.size(); }
  size_t dialogIndexSize() const { return dialogs_.size(); }
  const B2buaStats& stats() const { return stats_; }
  const HealthMonitor& health() const { return *health_; }

  // TransactionUser. Every transaction the B2BUA starts or accepts has an owner (below, the
  // registration relay or the health monitor); the owner-less defaults only see server
  // transactions answered at once.
  void onRequest(transaction::ServerTransaction& st) override;
  void onStrayAck(const sip::Message& ack, const transport::Packet& packet) override;
  void onStrayResponse(const sip::Message& response, const transport::Packet& packet) override;
  void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
  void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
  void onTerminated(transaction::Transaction& t) override;
  void onCancel(transaction::ServerTransaction& invite) override;

 private:
  // The owners of a call's transactions (ownerId: the call). A's and B's initial INVITEs;
  // requests relayed within a dialog (ownerTag: the relay); the BYEs, CANCELs and PRACKs the
  // gateway sends itself (ownerId 0 once the call is gone).
  class InviteOwner final : public transaction::TransactionOwner {
   public:
    explicit InviteOwner(B2bua& b) : b_(b) {}
    void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
    void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
    void onCancel(transaction::ServerTransaction& invite) override;
    void onAck(transaction::ServerTransaction& invite, const sip::Message& ack,
               const transport::Packet& packet) override;
    void onAckTimeout(transaction::ServerTransaction& invite) override;
    void onTerminated(transaction::Transaction& t) override;

   private:
    B2bua& b_;
  };
  class RelayOwner final : public transaction::TransactionOwner {
   public:
    explicit RelayOwner(B2bua& b) : b_(b) {}
    void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
    void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
    void onCancel(transaction::ServerTransaction& invite) override;
    void onAck(transaction::ServerTransaction& invite, const sip::Message& ack,
               const transport::Packet& packet) override;
    void onTerminated(transaction::Transaction& t) override;

   private:
    B2bua& b_;
  };
  class LocalOwner final : public transaction::TransactionOwner {
   public:
    explicit LocalOwner(B2bua& b) : b_(b) {}
    void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
    void onClientFailure(transaction::ClientTransaction& /*ct*/, bool /*error*/) override {}
    void onTerminated(transaction::Transaction& /*t*/) override {}

   private:
    B2bua& b_;
  };

  struct DialogRef {
    uint64_t callId;
    Side side;
  };

  void rebuildPeers();
  void answerLocally(transaction::ServerTransaction& st, int code, std::string_view reason = {});
  bool anyTlsProvider() const;
  void answerSipsNotAllowed(transaction::ServerTransaction& st);
  void startCall(transaction::ServerTransaction& st);
  // A public-zone INVITE: trunkguard's own digest check (gateway mode) or the pass-through
  // bookkeeping (pbx mode). False: it was answered. Fills the account it claims or proved.
  struct PhoneAdmission {
    std::string account;       // the account it proved (gateway) or claims (pbx mode)
    std::string authWatchKey;  // pbx mode: see Call::authWatchKey
    bool stripCredentials = false;
  };
  bool admitPhone(transaction::ServerTransaction& st, PhoneAdmission& out);
  // The registered phone a PBX INVITE is for (a binding key or an account as Request-URI user).
  std::optional<Binding> phoneFor(const sip::Message& invite) const;
  // Credentials that cross to the PBX on a phone's INVITE (pbx mode, or another realm's).
  void copyPhoneCredentials(const Call& call, const sip::Message& from,
                            sip::MessageBuilder& out) const;
  // The PBX's final answer to a phone's call, as the edge may show it (guard/enumeration.h).
  void notePhoneAnswer(Call& call, const sip::Message& response);
  void relayFinalToPhone(Call& call, const sip::Message& response);
  void rememberChallengedInvite(const Call& call);
  // Asks the call policy about a new INVITE. False: the call was refused (answered, recorded).
  bool admitByPolicy(transaction::ServerTransaction& st, Call& call);
  void countCallCodeFailure(const transaction::ServerTransaction& st, const std::string& account);
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
  // A provider's 401/407 to a request sent on its leg: the request again with the stored
  // credentials (src/trunk/challenge_retry.h). The new transaction, or null when not answered.
  transaction::ClientTransaction* answerChallenge(Call& call,
                                                  const transaction::ClientTransaction& ct,
                                                  const sip::Message& response);
  // The same for a BYE of ours that outlived its call (the provider is found by address).
  void answerOrphanChallenge(const transaction::ClientTransaction& ct,
                             const sip::Message& response);
  transaction::ClientTransaction* resendWithCredentials(const config::Provider& provider,
                                                        const transaction::ClientTransaction& ct,
                                                        const sip::Message& response,
                                                        std::string_view uuid, uint32_t& cseq);
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
                  const transport::SendTarget& peer, uint64_t callId);

  void endNow(Call& call, std::string_view disposition, int code, std::string_view reason);
  // Ends a call A has already been answered for (cancel, no-answer timer, endCall()) with the
  // disposition and code A was given.
  void endAbandoned(Call& call);
  void eraseCall(uint64_t callId);
  Call* findCall(uint64_t id);

  // Message construction.
  std::string via(transport::Zone zone, config::TransportKind transport,
                  const std::string& branch) const;
  std::string contactFor(transport::Zone zone, config::TransportKind transport,
                         bool sips = false) const;
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
  // Every address of each provider (parallel to config_->trunk.providers), in the order to try
  // them (DNS SRV order; failover). The health monitor has the same lists, address by address.
  std::vector<std::vector<transport::SendTarget>> providerAddressLists_;
  const trunk::ProviderTargets* providerAddresses_ = nullptr;
  std::vector<transport::SendTarget> pbxTargets_;
  auth::AuthService* auth_ = nullptr;      // remote phones; null: refused
  std::unique_ptr<Bindings> ownBindings_;  // when setRemotePhones() gave none
  Bindings* bindings_ = nullptr;
  std::unique_ptr<RegistrationRelay> registrations_;
  // pbx auth mode: how the PBX challenges phones' INVITEs (decoys copy its code and form). Both
  // modes: the B dialogs of challenged INVITEs, keyed by A's Call-ID and From tag: the phone's
  // retry reaches the PBX in the dialog it challenged (forgotten after 64*T1).
  int pbxInviteChallengeCode_ = 407;
  std::string pbxInviteChallenge_;
  struct ChallengedInvite {
    std::string callId;
    std::string localTag;
    uint32_t cseq = 0;
    base::TimerId expiry = base::kNoTimer;
  };
  std::unordered_map<std::string, ChallengedInvite> challenged_;
  static constexpr size_t kMaxChallengedInvites = 10000;
  base::TimePoint lastPbxChallengeWarning_{};  // at most one such warning a minute

  std::function<std::string()> newCallId_ = [] { return base::randomHex(16); };
  std::unordered_map<uint64_t, std::unique_ptr<Call>> calls_;
  // Leg lookup for in-dialog requests: zone letter + Call-ID.
  std::unordered_map<std::string, DialogRef> dialogs_;
  // Stray 2xx dialogs (Call-ID + To tag) already sent a BYE: their retransmissions are only
  // ACKed. Entries expire after 64*T1.
  std::unordered_map<std::string, base::TimerId> byedStrays_;
  uint64_t nextCallId_ = 1;
  B2buaStats stats_;
  InviteOwner inviteOwner_{*this};
  RelayOwner relayOwner_{*this};
  LocalOwner localOwner_{*this};
};

}  // namespace tg::b2bua
