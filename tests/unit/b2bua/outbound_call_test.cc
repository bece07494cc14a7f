// Outbound calls PBX -> provider through the real transaction layer on simulated time:
// the B leg is built from scratch (B2BUA.md "Initial INVITE on A"), responses are relayed in
// A's dialog, the ACK crosses when A sends it, and BYE from either side ends both legs.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class OutboundCallTest : public B2buaTest {};

TEST_F(OutboundCallTest, TryingGoesToTheCallerAtOnceAndBeforeAnythingElse) {
  Caller a = pbxCaller();
  const size_t m = mark();
  deliver(a.invite(), a.peer);
  ASSERT_GE(sender_.sent.size(), m + 2);
  const Sent& first = sender_.sent[m];
  EXPECT_TRUE(first.isResponse(100));
  EXPECT_TRUE(first.to(kPbx));
  EXPECT_EQ(first.atMs, 0);
  EXPECT_EQ(first.msg->callId(), a.callId);
  EXPECT_EQ(first.header(HeaderId::kCSeq), "101 INVITE");
  EXPECT_EQ(first.msg->topVia()->branch(), a.inviteBranch);
  // 100 Trying carries no To tag (§8.2.6.2 only requires one above 100).
  EXPECT_TRUE(first.toTag().empty());
  EXPECT_EQ(responsesTo(kPbx, 100, m).size(), 1u);
  EXPECT_EQ(b2b_->callCount(), 1u);
  EXPECT_EQ(b2b_->stats().callsStarted, 1u);
}

TEST_F(OutboundCallTest, BLegInviteIsBuiltFromScratch) {
  Caller a = pbxCaller();
  a.inviteHeaders = {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"},
                     {"Supported", "replaces, timer"}};
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  const sip::Message& m = *inv->msg;

  // Where it went.
  EXPECT_EQ(inv->target.zone, Zone::kTrunk);
  EXPECT_EQ(inv->target.transport, config::TransportKind::kUdp);
  EXPECT_EQ(inv->target.address, kProvA.address());

  // Request-URI: the dialled number at the provider (its address: no domain configured).
  EXPECT_EQ(std::string(m.requestUriText()), "sip:+15551234567@127.0.0.1:5090");
  // A new Call-ID, unrelated to A's, long enough to be unguessable (128 bits of hex).
  EXPECT_NE(m.callId(), a.callId);
  EXPECT_GE(m.callId().size(), 32u);
  EXPECT_EQ(m.callId().find("pbx"), std::string_view::npos);
  // New From tag, CSeq 1.
  ASSERT_NE(m.from(), nullptr);
  EXPECT_FALSE(m.from()->tag().empty());
  EXPECT_NE(m.from()->tag(), a.fromTag);
  EXPECT_EQ(inv->header(HeaderId::kCSeq), "1 INVITE");
  EXPECT_EQ(m.cseq()->number, 1u);
  // To: the dialled number at the provider, no tag.
  EXPECT_EQ(uriOf(inv->header(HeaderId::kTo)), "sip:+15551234567@127.0.0.1:5090");
  EXPECT_TRUE(m.to()->tag().empty());
  // From: the caller's user at trunkguard's trunk address, display name kept.
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:201@" + kTrunkListener);
  EXPECT_NE(inv->header(HeaderId::kFrom).find("\"Alice\""), std::string::npos);
  // One Via: trunkguard's trunk listener, with a fresh RFC 3261 branch.
  EXPECT_EQ(m.count(HeaderId::kVia), 1u);
  ASSERT_NE(m.topVia(), nullptr);
  EXPECT_EQ(inv->header(HeaderId::kVia).rfind("SIP/2.0/UDP " + kTrunkListener + ";", 0), 0u)
      << inv->header(HeaderId::kVia);
  EXPECT_EQ(m.topVia()->branch().rfind("z9hG4bK", 0), 0u);
  EXPECT_NE(m.topVia()->branch(), a.inviteBranch);
  // Contact: trunkguard on the trunk side.
  EXPECT_EQ(uriOf(inv->header(HeaderId::kContact)), "sip:trunkguard@" + kTrunkListener);
  // Max-Forwards: A's minus one.
  EXPECT_EQ(m.maxForwards(), std::optional<uint32_t>(69));
  // The SDP offer, byte for byte.
  EXPECT_EQ(m.body(), kSdpOffer);
  EXPECT_EQ(inv->header(HeaderId::kContentType), "application/sdp");
  EXPECT_EQ(m.contentLength(), std::optional<uint32_t>(kSdpOffer.size()));
  // Allowlisted headers cross.
  EXPECT_EQ(inv->header(HeaderId::kAllow), "INVITE, ACK, CANCEL, BYE, OPTIONS");
  EXPECT_EQ(inv->header(HeaderId::kSupported), "replaces, timer");
  EXPECT_EQ(inv->header(HeaderId::kUserAgent), "trunkguard");
  // No route set toward the provider.
  EXPECT_FALSE(m.has(HeaderId::kRoute));
  EXPECT_FALSE(m.has(HeaderId::kRecordRoute));
}

TEST_F(OutboundCallTest, MaxForwardsIsDecrementedFromWhatACarried) {
  Caller a = pbxCaller();
  a.maxForwards = 10;
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->msg->maxForwards(), std::optional<uint32_t>(9));
}

TEST_F(OutboundCallTest, EachCallGetsItsOwnCallIdAndTags) {
  Caller a1 = pbxCaller("first@pbx");
  Caller a2 = pbxCaller("second@pbx");
  const Sent* i1 = sendInvite(a1);
  const Sent* i2 = sendInvite(a2);
  ASSERT_NE(i1, nullptr);
  ASSERT_NE(i2, nullptr);
  EXPECT_NE(i1->msg->callId(), i2->msg->callId());
  EXPECT_NE(i1->fromTag(), i2->fromTag());
  EXPECT_NE(i1->branch(), i2->branch());
  EXPECT_EQ(b2b_->callCount(), 2u);
  EXPECT_EQ(b2b_->dialogIndexSize(), 4u);  // A and B leg of each
}

TEST_F(OutboundCallTest, RingingIsRelayedInAsOwnDialog) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  const Sent* ringing = calleeSends(a, b, 180);
  ASSERT_NE(ringing, nullptr);
  const sip::Message& r = *ringing->msg;
  EXPECT_EQ(r.callId(), a.callId);
  EXPECT_EQ(ringing->header(HeaderId::kCSeq), "101 INVITE");
  EXPECT_EQ(r.topVia()->branch(), a.inviteBranch);
  EXPECT_EQ(r.from()->tag(), a.fromTag);
  // trunkguard's own tag on leg A, never the provider's.
  EXPECT_FALSE(r.to()->tag().empty());
  EXPECT_NE(r.to()->tag(), b.tag);
  EXPECT_EQ(uriOf(ringing->header(HeaderId::kContact)), "sip:trunkguard@" + kPbxListener);
  EXPECT_EQ(ringing->header(HeaderId::kServer), "trunkguard");
  EXPECT_EQ(b2b_->activeCalls().size(), 1u);
  EXPECT_EQ(b2b_->activeCalls()[0].state, CallState::kEarly);
  EXPECT_EQ(b2b_->activeCalls()[0].direction, Direction::kOutbound);
  EXPECT_EQ(b2b_->activeCalls()[0].provider, "carrier-a");
  EXPECT_EQ(b2b_->activeCalls()[0].dialled, "+15551234567");
}

TEST_F(OutboundCallTest, AnswerIsRelayedWithSdpSameToTagAndPbxSideContact) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  const Sent* ringing = calleeSends(a, b, 180);
  ASSERT_NE(ringing, nullptr);
  const std::string tag180 = ringing->toTag();
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  const Sent* answer = calleeSends(a, b, 200, ok);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->toTag(), tag180);
  EXPECT_EQ(answer->msg->body(), kSdpAnswer);
  EXPECT_EQ(answer->header(HeaderId::kContentType), "application/sdp");
  EXPECT_EQ(uriOf(answer->header(HeaderId::kContact)), "sip:trunkguard@" + kPbxListener);
  EXPECT_EQ(answer->header(HeaderId::kCSeq), "101 INVITE");
  EXPECT_EQ(answer->msg->callId(), a.callId);
  EXPECT_EQ(b2b_->activeCalls()[0].state, CallState::kConfirmed);
  EXPECT_EQ(b2b_->stats().callsAnswered, 1u);
}

TEST_F(OutboundCallTest, TheAnswerIsRetransmittedToAUntilItsAck) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  ASSERT_NE(calleeSends(a, b, 200, ok), nullptr);
  advance(1600ms);  // T1, 2*T1 -> retransmissions at 500 and 1500
  EXPECT_EQ(responsesTo(kPbx, 200).size(), 3u);
  EXPECT_EQ(requestsTo(kProvA, "ACK").size(), 0u) << "B's ACK waits for A's";
  ASSERT_NE(callerAcks(a, kProvA), nullptr);
  advance(5s);
  EXPECT_EQ(responsesTo(kPbx, 200).size(), 3u) << "retransmissions stop with the ACK";
}

TEST_F(OutboundCallTest, AcksCrossToTheBLeg) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  ASSERT_NE(calleeSends(a, b, 200, ok), nullptr);
  const Sent* ack = callerAcks(a, kProvA);
  ASSERT_NE(ack, nullptr);
  const sip::Message& m = *ack->msg;
  EXPECT_EQ(ack->header(HeaderId::kCSeq), "1 ACK");
  EXPECT_EQ(m.callId(), inv->msg->callId());
  EXPECT_EQ(m.from()->tag(), inv->msg->from()->tag());
  EXPECT_EQ(m.to()->tag(), b.tag);
  EXPECT_EQ(std::string(m.requestUriText()), "sip:uas@127.0.0.1:5090")
      << "the ACK goes to B's Contact";
  EXPECT_EQ(ack->target.address, kProvA.address());
  EXPECT_EQ(ack->target.zone, Zone::kTrunk);
  // The ACK for a 2xx is a new transaction: a new branch.
  EXPECT_NE(ack->branch(), inv->branch());
  EXPECT_EQ(requestsTo(kProvA, "ACK").size(), 1u);
  // Nothing of A's ACK or dialog crosses.
  EXPECT_EQ(ack->bytes.find(a.callId), std::string::npos);
}

TEST_F(OutboundCallTest, BRetransmittingItsAnswerAfterTheAckIsAckedAgain) {
  Established c = establishOutbound();
  ASSERT_EQ(requestsTo(kProvA, "ACK").size(), 1u);
  const std::string firstAck = requestsTo(kProvA, "ACK")[0]->bytes;
  const size_t m = mark();
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  deliver(c.b.respond(200, ok), kProvA);  // B did not get our ACK
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->bytes, firstAck) << "the same ACK again";
  EXPECT_TRUE(responsesTo(kPbx, 200, m).empty()) << "A must not see the retransmission";
}

TEST_F(OutboundCallTest, ByeFromAEndsBothLegs) {
  Established c = establishOutbound();
  const size_t m = mark();
  Request bye = c.a.request("BYE");
  deliver(bye, kPbx);
  // 200 to A's BYE.
  auto ok = responsesTo(kPbx, 200, m);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0]->header(HeaderId::kCSeq), "102 BYE");
  EXPECT_EQ(ok[0]->toTag(), c.a.toTag);
  // BYE on B, in B's dialog.
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeB, nullptr);
  EXPECT_EQ(std::string(byeB->msg->requestUriText()), "sip:uas@127.0.0.1:5090");
  EXPECT_EQ(byeB->msg->callId(), c.b.invite->callId());
  EXPECT_EQ(byeB->fromTag(), std::string(c.b.invite->from()->tag()));
  EXPECT_EQ(byeB->toTag(), c.b.tag);
  EXPECT_EQ(byeB->header(HeaderId::kCSeq), "2 BYE");
  EXPECT_FALSE(byeB->msg->has(HeaderId::kContact));
  EXPECT_TRUE(requestsTo(kPbx, "BYE", m).empty());
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(b2b_->dialogIndexSize(), 0u);
  reply(byeB, kProvA, 200);
  expectAllGone();
}

TEST_F(OutboundCallTest, ByeFromBEndsBothLegs) {
  Established c = establishOutbound();
  const size_t m = mark();
  deliver(c.b.request("BYE"), kProvA);
  auto ok = responsesTo(kProvA, 200, m);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0]->header(HeaderId::kCSeq), "701 BYE");
  EXPECT_EQ(ok[0]->msg->callId(), c.b.invite->callId());
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  ASSERT_NE(byeA, nullptr);
  const sip::Message& bye = *byeA->msg;
  EXPECT_EQ(std::string(bye.requestUriText()), "sip:201@127.0.0.1:5080") << "A's Contact";
  EXPECT_EQ(bye.callId(), c.a.callId);
  EXPECT_EQ(bye.from()->tag(), c.a.toTag) << "our tag on leg A";
  EXPECT_EQ(bye.to()->tag(), c.a.fromTag);
  EXPECT_EQ(uriOf(byeA->header(HeaderId::kFrom)), "sip:+15551234567@" + kPbxListener);
  EXPECT_EQ(uriOf(byeA->header(HeaderId::kTo)), "sip:201@pbx.example.com");
  EXPECT_EQ(bye.cseq()->number, 1u) << "our first request on leg A";
  EXPECT_EQ(bye.cseq()->methodText, "BYE");
  EXPECT_EQ(byeA->target.zone, Zone::kPbx);
  EXPECT_EQ(byeA->target.address, kPbx.address());
  EXPECT_EQ(bye.topVia()->host, "127.0.0.1");
  EXPECT_EQ(bye.topVia()->port, 5070);
  EXPECT_TRUE(requestsTo(kProvA, "BYE", m).empty());
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(b2b_->dialogIndexSize(), 0u);
  reply(byeA, kPbx, 200);
  expectAllGone();
}

TEST_F(OutboundCallTest, RouteSetsAreKeptPerLeg) {
  Caller a = pbxCaller();
  a.recordRoutes = {"<sip:edge.pbx.example.com;lr>"};
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  // Record-Route as the provider's proxies wrote it: the one nearest the UAS on top.
  ok.recordRoutes = {"<sip:p2.carrier.example;lr>", "<sip:p1.carrier.example;lr>"};
  const Sent* answer = calleeSends(a, b, 200, ok);
  ASSERT_NE(answer, nullptr);
  EXPECT_FALSE(answer->msg->has(HeaderId::kRecordRoute)) << "B's proxies do not cross to A";
  const Sent* ack = callerAcks(a, kProvA);
  ASSERT_NE(ack, nullptr);
  // The UAC's route set is the Record-Route list reversed (§12.1.2).
  EXPECT_EQ(ack->all(HeaderId::kRoute), (std::vector<std::string>{"<sip:p1.carrier.example;lr>",
                                                                  "<sip:p2.carrier.example;lr>"}));
  EXPECT_EQ(std::string(ack->msg->requestUriText()), "sip:uas@127.0.0.1:5090");

  const size_t m = mark();
  deliver(b.request("BYE"), kProvA);
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  ASSERT_NE(byeA, nullptr);
  // The UAS's route set is the Record-Route list in order (§12.1.1).
  EXPECT_EQ(byeA->all(HeaderId::kRoute),
            (std::vector<std::string>{"<sip:edge.pbx.example.com;lr>"}));
  reply(byeA, kPbx, 200);
  expectAllGone();
}

TEST_F(OutboundCallTest, CdrRecordsTheAnsweredCall) {
  start(Options{}, &cdrStore());
  Established c = establishOutbound();
  advance(3s);
  const size_t m = mark();
  deliver(c.a.request("BYE"), kPbx);
  reply(lastRequestTo(kProvA, "BYE", m), kProvA, 200);
  cdrStore().flush();
  auto rows = cdrStore().recent(10);
  ASSERT_EQ(rows.size(), 1u);
  const db::CdrRecord& r = rows[0];
  EXPECT_EQ(r.direction, "outbound");
  EXPECT_EQ(r.aCallId, c.a.callId);
  EXPECT_EQ(r.aFromTag, c.a.fromTag);
  EXPECT_EQ(r.aToTag, c.a.toTag);
  EXPECT_EQ(r.bCallId, std::string(c.b.invite->callId()));
  EXPECT_EQ(r.bFromTag, std::string(c.b.invite->from()->tag()));
  EXPECT_EQ(r.bToTag, c.b.tag);
  EXPECT_EQ(r.provider, "carrier-a");
  EXPECT_EQ(r.disposition, "answered");
  EXPECT_EQ(r.sipCode, 200);
  EXPECT_EQ(r.endReason, "bye-from-a");
  EXPECT_TRUE(r.answerTime.has_value());
  EXPECT_TRUE(r.endTime.has_value());
  EXPECT_EQ(r.durationMs, 3000);
  EXPECT_EQ(r.sourceAddress, "127.0.0.1:5080");
  expectAllGone();
}

TEST_F(OutboundCallTest, TcpProviderGetsTcpViaContactAndNoRetransmissions) {
  Options o;
  o.providerATransport = "tcp";
  start(o);
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->target.transport, config::TransportKind::kTcp);
  EXPECT_EQ(inv->header(HeaderId::kVia).rfind("SIP/2.0/TCP " + kTrunkListener + ";", 0), 0u);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kContact)),
            "sip:trunkguard@" + kTrunkListener + ";transport=tcp");
  EXPECT_EQ(std::string(inv->msg->requestUriText()),
            "sip:+15551234567@127.0.0.1:5090;transport=tcp");
  advance(2s);
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 1u) << "no Timer A on a reliable transport";
}

// RFC 5630: a sips: call from the PBX leaves only over TLS, with SIPS URIs, never downgraded.
TEST_F(OutboundCallTest, SipsCallGoesOnlyToATlsProviderWithSipsUris) {
  Options o;
  o.providerATransport = "tls";
  o.providerBPriority = 5;  // the plaintext provider comes first, and must be skipped
  endpoints_.push_back({Zone::kTrunk, config::TransportKind::kTls, addr("127.0.0.1", 5061)});
  start(o);
  Caller a = pbxCaller();
  a.ruri = "sips:+15551234567@" + kPbxListener;
  const Sent* inv = sendInvite(a, kProvA);
  ASSERT_NE(inv, nullptr);
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty());
  EXPECT_EQ(inv->target.transport, config::TransportKind::kTls);
  EXPECT_EQ(std::string(inv->msg->requestUriText()), "sips:+15551234567@127.0.0.1:5090");
  EXPECT_EQ(uriOf(inv->header(HeaderId::kContact)), "sips:trunkguard@127.0.0.1:5061");

  // A sip: call still takes the plaintext provider first.
  Caller plain = pbxCaller("a-call-2@pbx.example.com");
  plain.fromTag = "pbx-from-2";
  EXPECT_NE(sendInvite(plain, kProvB), nullptr);
}

TEST_F(OutboundCallTest, SipsCallWithoutATlsProviderIsRefused) {
  Caller a = pbxCaller();
  a.ruri = "sips:+15551234567@" + kPbxListener;
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  const Sent* refused = lastResponseTo(kPbx, 480, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->header(HeaderId::kWarning).rfind("380 ", 0), 0u)
      << refused->header(HeaderId::kWarning);
  EXPECT_TRUE(sentToZone(Zone::kTrunk, m).empty()) << "nothing left in the clear";
  deliver(a.ackNon2xx(refused->toTag()), kPbx);
  expectAllGone();
}

// Late offer: A's INVITE has no SDP, B's 200 carries the offer, A's ACK the answer, which must
// reach B in B's ACK (B2BUA.md: "Build B's ACK only when A's ACK arrives").
TEST_F(OutboundCallTest, LateOfferAnswerInTheAckCrosses) {
  Caller a = pbxCaller();
  a.body.clear();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_TRUE(inv->msg->body().empty());
  EXPECT_FALSE(inv->msg->has(HeaderId::kContentType));
  Callee b = calleeFor(inv);
  const Sent* answer = calleeSends(a, b, 200, sdp(kSdpAnswer));
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->body(), kSdpAnswer);
  Request ack = a.ack();
  ack.body = kSdpOffer;
  const size_t m = mark();
  deliver(ack, kPbx);
  const Sent* ackB = lastRequestTo(kProvA, "ACK", m);
  ASSERT_NE(ackB, nullptr);
  EXPECT_EQ(ackB->msg->body(), kSdpOffer);
  EXPECT_EQ(ackB->header(HeaderId::kContentType), "application/sdp");
}

TEST_F(OutboundCallTest, CrossingByesLeaveNothingBehind) {
  Established c = establishOutbound();
  size_t m = mark();
  deliver(c.a.request("BYE"), kPbx);
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeB, nullptr);
  // B hung up at the same moment.
  m = mark();
  deliver(c.b.request("BYE"), kProvA);
  EXPECT_EQ(codesTo(kProvA, m), std::vector<int>{481}) << "the dialog is gone";
  EXPECT_TRUE(requestsTo(kPbx, "BYE", m).empty());
  reply(byeB, kProvA, 481);
  expectAllGone();
}

// A BYE can overtake the ACK of the 2xx (UDP reordering, or a caller that hangs up at once).
// B's 2xx still has to be ACKed (§13.2.2.4) before B's dialog is ended with a BYE.
TEST_F(OutboundCallTest, ByeFromABeforeItsAckStillAcksB) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 200, sdp(kSdpAnswer)), nullptr);
  const size_t m = mark();
  deliver(a.request("BYE"), kPbx);
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeB, nullptr);
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u) << "B's 2xx was never ACKed";
  EXPECT_EQ(acks[0]->header(HeaderId::kCSeq), "1 ACK");
}

TEST_F(OutboundCallTest, TcpCallerIsAnsweredOnItsConnection) {
  Caller a = pbxCaller();
  a.viaTransport = "TCP";
  a.contact = "<sip:201@127.0.0.1:5080;transport=tcp>";
  const size_t m = mark();
  deliver(a.invite().build(), kPbx, config::TransportKind::kTcp, 7);
  auto trying = responsesTo(kPbx, 100, m);
  ASSERT_EQ(trying.size(), 1u);
  EXPECT_EQ(trying[0]->target.transport, config::TransportKind::kTcp);
  EXPECT_EQ(trying[0]->target.connection, 7u);
  const Sent* inv = lastRequestTo(kProvA, "INVITE", m);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->target.transport, config::TransportKind::kUdp) << "provider A is udp";
  Callee b = calleeFor(inv);
  const Sent* ok = calleeSends(a, b, 200, sdp(kSdpAnswer));
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->target.connection, 7u);
  EXPECT_EQ(uriOf(ok->header(HeaderId::kContact)),
            "sip:trunkguard@" + kPbxListener + ";transport=tcp");
  advance(2s);
  EXPECT_GE(responsesTo(kPbx, 200).size(), 2u)
      << "a 2xx is retransmitted until its ACK even on TCP (§13.3.1.4)";
  deliver(a.ack().build(), kPbx, config::TransportKind::kTcp, 7);
  const size_t m2 = mark();
  deliver(b.request("BYE"), kProvA);
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m2);
  ASSERT_NE(byeA, nullptr);
  EXPECT_EQ(byeA->target.transport, config::TransportKind::kTcp);
  EXPECT_EQ(byeA->target.connection, 7u);
  EXPECT_EQ(byeA->header(HeaderId::kVia).rfind("SIP/2.0/TCP " + kPbxListener + ";", 0), 0u);
}

}  // namespace
}  // namespace tg::b2bua::testing
