#pragma once

// What happens to calls, told to whoever wants to know (docs/architecture.md "Call events"):
// the CDR writer, the policy tracker and the B2BUA's counters are observers, and the fraud
// detector, dashboards or webhooks plug in the same way. Observers run on the worker, in the
// order they were added, inside the B2BUA's callbacks: anything slow is queued by the observer
// itself (the CDR store does so).
//
// A call's events, in order: onPolicyDecision (when a policy runs), then either onRejected
// alone, or onStarted, onRouted for each peer B's INVITE goes to, onAnswered when answered,
// onEnding and onEnded.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "b2bua/call.h"
#include "base/clock.h"
#include "guard/policy/call_policy.h"
#include "transport/transport.h"

namespace tg::b2bua {

enum class Disposition : uint8_t {
  kInProgress,
  kAnswered,
  kBusy,
  kNoAnswer,
  kCancelled,
  kFailed,
  kRejected,  // refused before it started (the call policy)
  kDeclined,  // the callee chose not to take it (603, 607, 608): not a network failure
};
// The CDR column's text: "in-progress", "answered", "busy", "no-answer", ...
std::string_view dispositionName(Disposition d);
// The disposition of a call that ended with `code` (cancelled: A gave up first).
Disposition dispositionFor(int code, bool cancelled);

// "admin", "duration-limit", "spend-cap", "banned", "account-locked", ...
std::string_view endCauseName(EndCause c);

// Everything a CDR holds about one call, as known at the event.
struct CallRecord {
  uint64_t callId = 0;  // the worker's id (B2bua::endCall)
  std::string uuid;     // correlation id in logs and CDRs
  Direction direction = Direction::kOutbound;
  transport::Zone zoneA = transport::Zone::kPbx;
  transport::Zone zoneB = transport::Zone::kTrunk;
  // Leg A (where the INVITE came from) and leg B (the one trunkguard created, the one in use).
  std::string aCallId;
  std::string aFromTag;
  std::string aToTag;
  std::string aTransport;     // "udp", "tcp", "tls"
  std::string sourceAddress;  // where leg A came from, "ip:port"
  std::string bCallId;
  std::string bFromTag;
  std::string bToTag;
  std::string bTransport;
  std::string provider;  // outbound: the one in use; inbound: the source
  // Who called whom: as received (less any call code) and as the policy read them.
  std::string fromUri;
  std::string toUri;
  std::string account;
  std::string dialledE164;
  std::string destinationClass;  // "national", "international", "premium", "emergency", ...
  std::string policyRule;
  // STIR/SHAKEN verification of an inbound call (Call::verstat, Call::attestation).
  std::string verstat;
  std::string attestation;
  uint64_t policyHandle = 0;  // the policy engine's id of the call; 0 when it tracks none
  double cost = 0;            // set by the policy tracker in onEnding
  // Timings.
  base::SystemTime startTime{};
  base::SystemTime answerTime{};  // epoch while unanswered
  base::SystemTime endTime{};
  base::TimePoint answeredMono{};
  int64_t durationMs = 0;  // answer to end; 0 when never answered
  // How it ended (onRejected, onEnding, onEnded).
  Disposition disposition = Disposition::kInProgress;
  int sipCode = 0;
  std::string endReason;  // "bye-from-a", "ended-by-gateway: <why>", "policy: <why>", ...
  EndCause endCause = EndCause::kNone;  // set when the gateway ended it (call control)
  // Media, filled by the media relay in onEnding; zero while media flows end to end.
  struct Media {
    bool relayed = false;
    uint64_t packetsAtoB = 0;  // relayed from leg A's peer to leg B's
    uint64_t packetsBtoA = 0;
    uint64_t bytesAtoB = 0;
    uint64_t bytesBtoA = 0;
    uint64_t foreignDropped = 0;  // from sources other than the latched peers, both legs
    // SRTP packets that failed authentication or the replay check, both legs.
    uint64_t unauthenticatedDropped = 0;
    // Above media.max_packets_per_s / max_kbps (the call is flagged when not 0), both legs.
    uint64_t overRateDropped = 0;
    // RTP with a payload type neither leg's SDP listed for its stream, both legs.
    uint64_t payloadTypeDropped = 0;
    std::string srtpA;  // leg A's SRTP suite at the end ("" for plain RTP)
    std::string srtpB;
  } media;
};

// The record of a call as it stands.
CallRecord recordOf(const Call& call);

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // The policy's decision on a new call, admitted, shadowed or refused.
  virtual void onPolicyDecision(const CallRecord& /*call*/,
                                const guard::policy::Admission& /*decision*/) {}
  // Refused before it started: the only event of such a call.
  virtual void onRejected(const CallRecord& /*call*/) {}
  virtual void onStarted(const CallRecord& /*call*/) {}
  // B's INVITE went to a peer (the first, or the next one in failover).
  virtual void onRouted(const CallRecord& /*call*/) {}
  virtual void onAnswered(const CallRecord& /*call*/) {}
  // Before onEnded: an observer that settles the record (the policy's cost) fills it in here.
  virtual void onEnding(CallRecord& /*call*/) {}
  virtual void onEnded(const CallRecord& /*call*/) {}
};

// The observers of one B2BUA, told in the order they were added.
class CallEvents {
 public:
  // Must outlive the B2BUA.
  void add(CallObserver* observer) { observers_.push_back(observer); }

  void policyDecision(const CallRecord& call, const guard::policy::Admission& decision) {
    for (CallObserver* o : observers_) o->onPolicyDecision(call, decision);
  }
  void rejected(const CallRecord& call) {
    for (CallObserver* o : observers_) o->onRejected(call);
  }
  void started(const CallRecord& call) {
    for (CallObserver* o : observers_) o->onStarted(call);
  }
  void routed(const CallRecord& call) {
    for (CallObserver* o : observers_) o->onRouted(call);
  }
  void answered(const CallRecord& call) {
    for (CallObserver* o : observers_) o->onAnswered(call);
  }
  // onEnding on every observer, then onEnded.
  void ended(CallRecord& call) {
    for (CallObserver* o : observers_) o->onEnding(call);
    for (CallObserver* o : observers_) o->onEnded(call);
  }

 private:
  std::vector<CallObserver*> observers_;
};

}  // namespace tg::b2bua
