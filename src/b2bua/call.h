#pragma once

// A call is two dialogs that share nothing on the wire (B2BUA.md): leg A, where the INVITE came
// from, and leg B, the one trunkguard created toward the PBX or a provider.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/timer_queue.h"
#include "sip/method.h"
#include "transaction/transaction.h"
#include "transport/transport.h"

namespace tg::b2bua {

enum class Direction : uint8_t { kOutbound, kInbound };  // PBX->trunk, trunk->PBX
std::string_view directionName(Direction d);

enum class Side : uint8_t { kA, kB };
inline Side other(Side s) { return s == Side::kA ? Side::kB : Side::kA; }

// Why the gateway itself ended a call (call control, B2bua::endCall); kNone when a party or the
// network ended it. The CDR's end reason says it in words ("ended-by-gateway: <why>").
enum class EndCause : uint8_t {
  kNone,
  kAdmin,          // an operator (trunkguard calls end, the admin API)
  kDurationLimit,  // b2bua.max_call_duration_s or the policy's duration limit
  kSpendCap,       // the policy's spend cap ran out while the call was live
  kBanned,         // a leg's peer was banned
  kAccountLocked,  // the remote phone's account was locked
  kReload,         // the reloaded configuration no longer allows the call
  kShutdown,       // the gateway is stopping
  kNoAck,          // the caller never acknowledged the answer
  kFraud,          // a fraud detector blocked the account (guard/fraud)
  kMediaTimeout,   // no media either way for media.timeout_s (src/media/)
  kOther,          // ended from inside the process for another reason
};

enum class CallState : uint8_t {
  kRouting,    // B's INVITE sent, no answer yet
  kEarly,      // a provisional with a tag came back
  kConfirmed,  // answered
  kEnded,
};

// One dialog: everything needed to send an in-dialog request on it and to recognise requests
// that belong to it.
struct Leg {
  std::string callId;
  std::string localTag;
  std::string remoteTag;
  std::string localParty;             // From value of requests we send on this leg (with our tag)
  std::string remoteParty;            // To value of requests we send on this leg (with their tag)
  std::string remoteTarget;           // the peer's Contact URI: Request-URI of in-dialog requests
  std::vector<std::string> routeSet;  // Route values, in the order they are sent
  std::string localContact;           // our Contact header value on this leg
  uint32_t localCseq = 0;             // last CSeq number we used on this leg
  uint32_t remoteCseq = 0;            // last CSeq number the peer used
  uint32_t inviteCseq = 0;            // CSeq of the initial INVITE on this leg (for its ACK)
  uint32_t remoteRSeq = 0;     // RSeq of the last reliable provisional PRACKed (RFC 3262 §4)
  transport::SendTarget peer;  // where this leg's requests go
};

// A request relayed from one leg to the other, waiting for its response.
struct Relay {
  uint64_t id = 0;
  Side from = Side::kA;  // the leg the request arrived on
  sip::Method method = sip::Method::kUnknown;
  transaction::ServerTransaction* server = nullptr;  // on `from`
  transaction::ClientTransaction* client = nullptr;  // on the other leg
  uint32_t clientCseq = 0;  // CSeq used on the other leg (for the re-INVITE's ACK)
  std::string clientAck;    // the ACK sent for a relayed re-INVITE 2xx (resent on
                            // 2xx retransmissions)
};

struct Call {
  uint64_t id = 0;
  std::string uuid;  // correlation id in logs and CDRs
  Direction direction = Direction::kOutbound;
  CallState state = CallState::kRouting;
  transport::Zone zoneA = transport::Zone::kPbx;
  transport::Zone zoneB = transport::Zone::kTrunk;
  Leg a;
  Leg b;

  transaction::ServerTransaction* aInvite = nullptr;  // while A's INVITE has no final answer
  transaction::ClientTransaction* bInvite = nullptr;  // while B's INVITE is pending
  bool cancelled = false;                             // A cancelled before the answer
  // The CDR is written: A has its final answer, only B's INVITE is still being wound down
  // (a callee that answers the CANCEL 200 and never sends its 487 keeps it up to 64*T1).
  bool recorded = false;
  bool bCancelSent = false;  // the CANCEL for B's current INVITE went out (once, §9.1)
  bool aAnswered = false;    // a 2xx was sent to A
  bool bAcked = false;       // the ACK for B's 2xx was sent
  std::string bAck;          // that ACK, resent when B retransmits its 2xx
  std::string dialled;       // the Request-URI user of A's INVITE, less any call code the
                             // policy stripped (a code is a secret: never logged or sent on)
  // Peers still to try, fixed when the call started: a reload must not change what an index
  // means under a call in progress.
  struct Candidate {
    transport::SendTarget target;
    std::string name;        // provider name (outbound)
    std::string domain;      // host for the Request-URI and To
    uint64_t healthId = 0;   // the address in the health monitor (AddressHealth::id)
    std::string requestUri;  // a registered phone's Contact: the Request-URI toward it
  };
  std::vector<Candidate> candidates;
  bool sips = false;      // A asked for TLS on every hop (a sips: Request-URI, outbound)
  std::string provider;   // provider in use (outbound) or source provider (inbound)
  uint64_t healthId = 0;  // health id of the address B was sent to (AddressHealth::id)
  std::string endReason;  // set when the gateway ends the call itself
  EndCause endCause = EndCause::kNone;  // and why, typed (call control)
  std::string fromUri;                  // CDR: the caller as received
  std::string toUri;                    // CDR: the callee as received, less any call code

  // What the call policy decided (guard/policy/call_policy.h); empty when none runs.
  uint64_t policyHandle = 0;    // reported answered/ended; 0 when the policy tracks nothing
  std::string callerIdRewrite;  // B's From user instead of A's (spoofed caller ID); "" = keep
  std::chrono::seconds policyMaxDuration{0};  // 0 = no policy limit
  std::string account;                        // CDR columns
  std::string e164;
  std::string destinationClass;
  std::string policyRule;

  // STIR/SHAKEN verification of an inbound call (admission filter `identity`); verstat empty
  // when none ran. The PBX leg's From user carries ;verstat=, its display name the tag.
  std::string verstat;      // "TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"
  std::string attestation;  // "A", "B", "C" or ""
  std::string identityTag;  // display-name prefix toward the PBX (policy `tag`); "" = none

  // public.auth.mode pbx: the FailureWatcher's key for A's INVITE while the PBX has not
  // answered it, and whether its credentials are withheld (a locked account).
  std::string authWatchKey;
  bool stripCredentials = false;

  std::unordered_map<uint64_t, Relay> relays;
  uint64_t nextRelayId = 1;
  bool reinvitePending = false;  // glare protection (§14.1)

  base::TimerId noAnswerTimer = base::kNoTimer;
  base::TimerId durationTimer = base::kNoTimer;
  base::TimerId ackReleaseTimer = base::kNoTimer;  // drops bAck once B stops retransmitting
  base::SystemTime started{};
  base::SystemTime answered{};
  base::TimePoint answeredMono{};

  Leg& leg(Side s) { return s == Side::kA ? a : b; }
  const Leg& leg(Side s) const { return s == Side::kA ? a : b; }
  transport::Zone zone(Side s) const { return s == Side::kA ? zoneA : zoneB; }
};

}  // namespace tg::b2bua
