#include "b2bua/cdr_writer.h"

namespace tg::b2bua {
namespace {

// The row a call starts with (or, refused, the whole row): leg A, who called whom, the policy's
// view. Leg B, the answer and the end follow as updates.
db::CdrRecord firstRow(const CallRecord& call) {
  db::CdrRecord r;
  r.callUuid = call.uuid;
  r.direction = std::string(directionName(call.direction));
  r.aCallId = call.aCallId;
  r.aFromTag = call.aFromTag;
  r.aToTag = call.aToTag;
  r.provider = call.provider;
  r.fromUri = call.fromUri;
  r.toUri = call.toUri;
  r.account = call.account;
  r.dialledE164 = call.dialledE164;
  r.destinationClass = call.destinationClass;
  r.policyRule = call.policyRule;
  r.verstat = call.verstat;
  r.attestation = call.attestation;
  r.sourceAddress = call.sourceAddress;
  r.aTransport = call.aTransport;
  r.startTime = call.startTime;
  r.disposition = std::string(dispositionName(call.disposition));
  return r;
}

}  // namespace

void CdrWriter::onRejected(const CallRecord& call) {
  db::CdrRecord r = firstRow(call);
  r.endTime = call.endTime;
  r.sipCode = call.sipCode;
  r.endReason = call.endReason;
  store_.recordStart(r);
}

void CdrWriter::onStarted(const CallRecord& call) { store_.recordStart(firstRow(call)); }

void CdrWriter::onRouted(const CallRecord& call) {
  store_.recordLeg(call.uuid, call.provider, call.bCallId, call.bFromTag, {}, call.bTransport);
}

void CdrWriter::onAnswered(const CallRecord& call) {
  store_.recordLeg(call.uuid, call.provider, call.bCallId, call.bFromTag, call.bToTag);
  store_.recordAnswer(call.uuid, call.answerTime);
}

void CdrWriter::onEnded(const CallRecord& call) {
  db::CdrMedia media;
  const auto count = [](uint64_t n) { return static_cast<int64_t>(n); };
  media.packetsAtoB = count(call.media.packetsAtoB);
  media.packetsBtoA = count(call.media.packetsBtoA);
  media.bytesAtoB = count(call.media.bytesAtoB);
  media.bytesBtoA = count(call.media.bytesBtoA);
  media.foreignDropped = count(call.media.foreignDropped);
  media.unauthenticatedDropped = count(call.media.unauthenticatedDropped);
  media.overRateDropped = count(call.media.overRateDropped);
  media.payloadTypeDropped = count(call.media.payloadTypeDropped);
  media.srtpA = call.media.srtpA;
  media.srtpB = call.media.srtpB;
  store_.recordEnd(call.uuid, call.endTime, std::string(dispositionName(call.disposition)),
                   call.sipCode, call.endReason, call.durationMs, call.cost, media);
}

}  // namespace tg::b2bua
