#include "b2bua/call_events.h"

#include "config/config.h"

namespace tg::b2bua {

std::string_view dispositionName(Disposition d) {
  switch (d) {
    case Disposition::kInProgress:
      return "in-progress";
    case Disposition::kAnswered:
      return "answered";
    case Disposition::kBusy:
      return "busy";
    case Disposition::kNoAnswer:
      return "no-answer";
    case Disposition::kCancelled:
      return "cancelled";
    case Disposition::kFailed:
      return "failed";
    case Disposition::kRejected:
      return "rejected";
    case Disposition::kDeclined:
      return "declined";
  }
  return "failed";
}

Disposition dispositionFor(int code, bool cancelled) {
  if (code >= 200 && code < 300) return Disposition::kAnswered;
  if (cancelled || code == 487) return Disposition::kCancelled;
  if (code == 486 || code == 600) return Disposition::kBusy;
  if (code == 408 || code == 480) return Disposition::kNoAnswer;
  // Decline, Unwanted (RFC 8197), Rejected (RFC 8688): the callee's choice, which ASR/NER
  // figures must not count as the network failing.
  if (code == 603 || code == 607 || code == 608) return Disposition::kDeclined;
  return Disposition::kFailed;
}

std::string_view endCauseName(EndCause c) {
  switch (c) {
    case EndCause::kNone:
      return "none";
    case EndCause::kAdmin:
      return "admin";
    case EndCause::kDurationLimit:
      return "duration-limit";
    case EndCause::kSpendCap:
      return "spend-cap";
    case EndCause::kBanned:
      return "banned";
    case EndCause::kAccountLocked:
      return "account-locked";
    case EndCause::kReload:
      return "reload";
    case EndCause::kShutdown:
      return "shutdown";
    case EndCause::kNoAck:
      return "no-ack";
    case EndCause::kFraud:
      return "fraud";
    case EndCause::kMediaTimeout:
      return "media-timeout";
    case EndCause::kOther:
      return "other";
  }
  return "other";
}

CallRecord recordOf(const Call& call) {
  CallRecord r;
  r.callId = call.id;
  r.uuid = call.uuid;
  r.direction = call.direction;
  r.zoneA = call.zoneA;
  r.zoneB = call.zoneB;
  r.aCallId = call.a.callId;
  r.aFromTag = call.a.remoteTag;
  r.aToTag = call.a.localTag;
  r.aTransport = std::string(config::transportName(call.a.peer.transport));
  r.sourceAddress = call.a.peer.address.toString();
  r.bCallId = call.b.callId;
  r.bFromTag = call.b.localTag;
  r.bToTag = call.b.remoteTag;
  if (!call.b.callId.empty()) {
    r.bTransport = std::string(config::transportName(call.b.peer.transport));
  }
  r.provider = call.provider;
  r.fromUri = call.fromUri;
  r.toUri = call.toUri;
  r.account = call.account;
  r.dialledE164 = call.e164;
  r.destinationClass = call.destinationClass;
  r.policyRule = call.policyRule;
  r.verstat = call.verstat;
  r.attestation = call.attestation;
  r.policyHandle = call.policyHandle;
  r.startTime = call.started;
  r.answerTime = call.answered;
  r.answeredMono = call.answeredMono;
  r.endCause = call.endCause;
  return r;
}

}  // namespace tg::b2bua
