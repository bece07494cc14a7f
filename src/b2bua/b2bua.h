#pragma once

// The back-to-back user agent: turns each INVITE into a call of two legs (B2BUA.md), relays
// what crosses, hides the topology by building every outgoing message anew, writes CDRs, and
// offers the in-process API to end any call.
//
// This class is the dispatch, the call table and the teardown; the pieces it wires together
// each own one part of a call's life (docs/architecture.md "The B2BUA"):
//   AdmissionChain  whether an INVITE becomes a call: the admission filters (admission/)
//   Router          where it goes (candidates, failover order, providers)
//   OutgoingInvite  the initial INVITE on both legs (PRACK, failover, provider challenges)
//   InDialogRelay   requests within the dialogs (re-INVITE, UPDATE, BYE, glare)
//   PhoneCalls      calls to and from remote phones
//   LegMessages     every message written on a leg; the only place a body crosses
// and tells what happens to calls as call events (call_events.h) to its observers: the CDR
// writer, the policy tracker and the counters, then any added with addObserver().

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "b2bua/admission/admission_chain.h"
#include "b2bua/bindings.h"
#include "b2bua/call.h"
#include "b2bua/call_context.h"
#include "b2bua/call_counters.h"
#include "b2bua/call_events.h"
#include "b2bua/cdr_writer.h"
#include "b2bua/fraud_tracker.h"
#include "b2bua/health.h"
#include "b2bua/in_dialog_relay.h"
#include "b2bua/leg_messages.h"
#include "b2bua/offer_answer.h"
#include "b2bua/outgoing_invite.h"
#include "b2bua/phone_calls.h"
#include "b2bua/policy_tracker.h"
#include "b2bua/registration_relay.h"
#include "b2bua/router.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "db/cdr_store.h"
#include "guard/policy/call_policy.h"
#include "guard/security_event.h"
#include "transaction/transaction_layer.h"
#include "transaction/transaction_user.h"
#include "trunk/provider_targets.h"

namespace tg::auth {
class AuthService;
}  // namespace tg::auth

namespace tg::b2bua {

struct CallSummary {
  uint64_t id;
  std::string uuid;
  Direction direction;
  CallState state;
  std::string provider;
  std::string dialled;
  transport::Zone zoneA;
  std::string source;   // leg A's peer, "ip:port"
  std::string account;  // the remote phone's or the policy's account; "" when none
  base::SystemTime started;
};

class B2bua final : public transaction::TransactionUser, private CallTable {
 public:
  B2bua(config::ConfigPtr config, base::TimerQueue& timers, EndpointLookup endpoints,
        db::CdrStore* cdrs);
  ~B2bua() override;

  // The transaction layer and the B2BUA refer to each other; attach before traffic flows.
  void attach(transaction::TransactionLayer& layer, transaction::Sender& sender);
  void startHealthChecks();
  // Makes the Call-IDs of the dialogs this B2BUA creates (B legs, pings); default: random.
  void setCallIdGenerator(std::function<std::string()> generate) {
    registrations_.setCallIdGenerator(generate);
    ctx_.newCallId = std::move(generate);
  }
  // Makes the uuids of new calls; default: 16 random hex digits. The app's generator makes
  // uuids that hash to this worker, so call control finds a call's worker from its uuid.
  void setCallUuidGenerator(std::function<std::string()> generate) {
    newUuid_ = std::move(generate);
  }
  // A reloaded configuration: new calls use it; calls in progress keep their legs.
  void updateConfig(config::ConfigPtr config);
  // Provider addresses resolved by DNS (src/trunk); without it providers are used as written.
  // Must outlive this. refreshProviderTargets() picks up changed addresses for new calls.
  void setProviderTargets(const trunk::ProviderTargets* targets) {
    router_.setProviderTargets(targets);
    rebuildPeers();
  }
  void refreshProviderTargets() { rebuildPeers(); }
  // Where session descriptions go on their way between legs (offer_answer.h); null: unchanged.
  // Must outlive this.
  void setOfferAnswer(OfferAnswerProcessor* processor) { messages_.setOfferAnswer(processor); }

  // The toll-fraud call policy, one engine shared by every worker (it is thread-safe);
  // nullptr (the default) admits every call. Set before traffic flows; must outlive this.
  void setCallPolicy(guard::policy::CallPolicy* policy);
  // The fraud detectors (guard/fraud), shared by every worker like the policy; nullptr (the
  // default) detects nothing. Set before traffic flows; must outlive this.
  void setFraudDetector(guard::fraud::FraudDetector* detector);
  // STIR/SHAKEN verification of calls from providers (docs/identity.md), one verifier shared
  // by every worker; `post` runs a closure on this worker's thread (the certificate fetch
  // answers from the verifier's threads). nullptr (the default): calls are not verified.
  void setIdentityVerifier(identity::IdentityVerifier* verifier,
                           std::function<void(std::function<void()>)> post) {
    admissionServices_.identity = verifier;
    admissionServices_.post = std::move(post);
  }
  // Where policy rejections (and shadow decisions) are recorded; optional, must outlive this.
  void setEventSink(guard::EventSink* events) { admissionServices_.events = events; }
  // overCap() hands each over-cap call to one worker only: the handles this B2BUA does not own
  // go here, so the app can pass them to the other workers' endPolicyCalls(). Without it they
  // are dropped (right with one worker).
  void setForeignCapHandler(std::function<void(std::vector<uint64_t> handles)> handler) {
    policyTracker_.setForeignCapHandler(std::move(handler));
  }
  // Ends the calls of these policy handles that live here (spend cap); returns how many.
  size_t endPolicyCalls(const std::vector<uint64_t>& handles, std::string_view reason) {
    return policyTracker_.endPolicyCalls(handles, reason);
  }
  static constexpr base::Duration kCapPollInterval = PolicyTracker::kCapPollInterval;
  // Another observer of call events (call_events.h), told after the built-in ones. Must
  // outlive this.
  void addObserver(CallObserver* observer) { ctx_.events.add(observer); }

  // Remote phones on the public zone (docs/accounts.md): the accounts and lockout shared by
  // every worker, and the shared binding table (null: a private one). Without auth, public
  // REGISTERs and INVITEs are refused. Set before traffic flows; both must outlive this.
  void setRemotePhones(auth::AuthService* auth, Bindings* bindings);
  const Bindings& bindings() const { return *bindings_; }
  const RegistrationRelay& registrations() const { return registrations_; }

  // Call control: ends a call from inside the process (fraud engine, limits, bans, admin):
  // BYE on both legs once answered, CANCEL and a final response to A before; the CDR's end
  // reason is "ended-by-gateway: <detail>" and its record carries `cause`. Returns false when
  // no such call exists.
  bool endCall(uint64_t callId, EndCause cause, std::string_view detail) override;
  bool endCall(uint64_t callId, std::string_view reason) {
    return endCall(callId, EndCause::kOther, reason);
  }
  // The same, for the call with this uuid.
  bool endCallByUuid(std::string_view uuid, EndCause cause, std::string_view detail);
  // Ends every call for which `why` names a cause (non-empty detail); returns how many.
  // `why` sees each live call once and must not end calls itself.
  size_t endCallsWhere(const std::function<std::string(const Call&)>& why, EndCause cause);
  // The gateway stops: every call still in the table ends now (its CDR gets an end time and
  // cause shutdown, whatever B's INVITE would still have done). Returns how many.
  size_t endAllAtShutdown();

  // Whether a request with this Call-ID and To tag, arriving in `zone`, belongs to a dialog of a
  // live call (the To tag is that leg's own tag). The gateway asks before the guard chain: only
  // such requests pass as traffic of an established call (issue 12 item 4).
  bool knowsDialog(transport::Zone zone, std::string_view callId, std::string_view toTag) const;
  // Told of every request with a To tag that matches no live dialog, after its 481.
  void setUnknownDialogHandler(
      std::function<void(const sip::Message& request, const transport::SendTarget& from)> h) {
    onUnknownDialog_ = std::move(h);
  }

  std::vector<CallSummary> activeCalls() const;
  size_t callCount() const { return calls_.size(); }
  // The same, readable from any thread (the server's snapshot).
  size_t activeCallGauge() const { return activeCalls_.load(std::memory_order_relaxed); }
  size_t dialogIndexSize() const { return dialogs_.size(); }
  const B2buaStats& stats() const { return ctx_.stats; }
  const admission::AdmissionStats& admissionStats() const { return admission_.stats(); }
  // The admission filters and their calls still deciding (admission_chain.h).
  admission::AdmissionChain& admission() { return admission_; }
  const HealthMonitor& health() const { return health_; }

  // TransactionUser. Every transaction the B2BUA starts or accepts has an owner among its
  // pieces; the owner-less defaults only see server transactions answered at once.
  void onRequest(transaction::ServerTransaction& st) override;
  void onStrayAck(const sip::Message& ack, const transport::Packet& packet) override;
  void onStrayResponse(const sip::Message& response, const transport::Packet& packet) override;
  void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
  void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
  void onTerminated(transaction::Transaction& t) override;
  void onCancel(transaction::ServerTransaction& invite) override;

 private:
  struct DialogRef {
    uint64_t callId;
    Side side;
  };

  void rebuildPeers();
  const DialogRef* findDialog(transport::Zone zone, std::string_view callId) const;
  void answerUnknownDialog(transaction::ServerTransaction& st);
  void answerLocally(transaction::ServerTransaction& st, int code, std::string_view reason = {});
  // A new INVITE: its call as far as the INVITE tells, through the admission chain.
  void startCall(transaction::ServerTransaction& st);
  // An admitted call: leg A, the call table, its route, and B's INVITE.
  void launch(admission::CallContext& admitted);
  // The new call's A leg, from the INVITE that opened it.
  void openLegA(Call& call, const transaction::ServerTransaction& st);

  // CallTable
  Call* findCall(uint64_t id) override;
  void indexDialog(transport::Zone zone, std::string_view callId, uint64_t call,
                   Side side) override;
  void forgetDialog(transport::Zone zone, std::string_view callId) override;
  void endNow(Call& call, Disposition disposition, int code, std::string_view reason) override;
  void endAbandoned(Call& call) override;
  void recordEnd(Call& call, Disposition disposition, int code, std::string_view reason) override;
  void eraseCall(uint64_t callId);

  B2buaContext ctx_;
  CallCounters counters_;
  PolicyTracker policyTracker_;
  FraudTracker fraudTracker_;
  std::unique_ptr<CdrWriter> cdrWriter_;  // without a CDR store, none
  HealthMonitor health_;
  std::unique_ptr<Bindings> ownBindings_;  // when setRemotePhones() gave none
  Bindings* bindings_ = nullptr;
  LegMessages messages_;
  RegistrationRelay registrations_;
  Router router_;
  PhoneCalls phones_;
  admission::AdmissionServices admissionServices_;
  admission::AdmissionChain admission_;
  OutgoingInvite invite_;
  InDialogRelay relay_;

  std::unordered_map<uint64_t, std::unique_ptr<Call>> calls_;
  std::atomic<size_t> activeCalls_{0};  // calls_.size(), for other threads
  // Leg lookup for in-dialog requests: zone letter + Call-ID.
  std::unordered_map<std::string, DialogRef> dialogs_;
  uint64_t nextCallId_ = 1;
  std::function<std::string()> newUuid_;
  std::function<void(const sip::Message&, const transport::SendTarget&)> onUnknownDialog_;
  mutable std::string dialogKeyScratch_;  // lookups build their key here, not on the heap
};

}  // namespace tg::b2bua
