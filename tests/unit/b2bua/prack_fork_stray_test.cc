// Reliable provisionals (RFC 3262), forked answers and stray 2xx responses on the B side.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class PrackForkStrayTest : public B2buaTest {
 protected:
  static ResponseOptions reliable(int rseq) {
    ResponseOptions o;
    o.headers = {{"Require", "100rel"}, {"RSeq", std::to_string(rseq)}};
    o.body = kSdpAnswer;
    return o;
  }
};

TEST_F(PrackForkStrayTest, ReliableProvisionalIsPrackedOnBAndRelayedUnreliably) {
  Caller a = pbxCaller();
  a.inviteHeaders = {{"Supported", "100rel"}};
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  b.contact = "<sip:uas-early@127.0.0.1:5090>";

  const size_t m = mark();
  const Sent* progress = calleeSends(a, b, 183, reliable(1));
  ASSERT_NE(progress, nullptr);
  // A gets an unreliable 183 with the early media SDP.
  EXPECT_FALSE(progress->msg->has(HeaderId::kRSeq));
  EXPECT_EQ(progress->header(HeaderId::kRequire).find("100rel"), std::string::npos);
  EXPECT_EQ(progress->msg->body(), kSdpAnswer);
  EXPECT_NE(progress->toTag(), b.tag);

  // PRACK on B (RFC 3262 §7.2): in the early dialog, to the 183's Contact.
  auto pracks = requestsTo(kProvA, "PRACK", m);
  ASSERT_EQ(pracks.size(), 1u);
  const Sent& prack = *pracks[0];
  EXPECT_EQ(prack.header(HeaderId::kRAck), "1 1 INVITE");
  EXPECT_EQ(prack.msg->callId(), inv->msg->callId());
  EXPECT_EQ(prack.fromTag(), inv->fromTag());
  EXPECT_EQ(prack.toTag(), b.tag);
  EXPECT_EQ(std::string(prack.msg->requestUriText()), "sip:uas-early@127.0.0.1:5090");
  EXPECT_EQ(prack.header(HeaderId::kCSeq), "2 PRACK");
  EXPECT_EQ(prack.target.address, kProvA.address());
  EXPECT_TRUE(requestsTo(kPbx, "PRACK").empty());

  // B answers the PRACK and later the INVITE; the next request on B continues the CSeq.
  reply(&prack, kProvA, 200);
  ASSERT_NE(calleeSends(a, b, 200, sdp(kSdpAnswer)), nullptr);
  const Sent* ack = callerAcks(a, kProvA);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->header(HeaderId::kCSeq), "1 ACK");
  const size_t m2 = mark();
  deliver(a.request("BYE"), kPbx);
  const Sent* bye = lastRequestTo(kProvA, "BYE", m2);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->header(HeaderId::kCSeq), "3 BYE");
  reply(bye, kProvA, 200);
  expectAllGone();
}

TEST_F(PrackForkStrayTest, SecondReliableProvisionalGetsItsOwnRAck) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 183, reliable(7)), nullptr);
  reply(lastRequestTo(kProvA, "PRACK"), kProvA, 200);
  ASSERT_NE(calleeSends(a, b, 180, reliable(8)), nullptr);
  auto pracks = requestsTo(kProvA, "PRACK");
  ASSERT_EQ(pracks.size(), 2u);
  EXPECT_EQ(pracks[0]->header(HeaderId::kRAck), "7 1 INVITE");
  EXPECT_EQ(pracks[1]->header(HeaderId::kRAck), "8 1 INVITE");
  EXPECT_LT(pracks[0]->msg->cseq()->number, pracks[1]->msg->cseq()->number);
}

// RFC 3262 §4: a retransmission of a reliable provisional (same RSeq) "MUST NOT be acknowledged
// with a PRACK, and MUST NOT be processed further by the UAC".
TEST_F(PrackForkStrayTest, RetransmittedReliableProvisionalIsNotPrackedAgain) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 183, reliable(1)), nullptr);
  ASSERT_EQ(requestsTo(kProvA, "PRACK").size(), 1u);
  // B retransmits the 183 (its T1 fired before our PRACK arrived).
  const size_t m = mark();
  deliver(b.respond(183, reliable(1)), kProvA);
  EXPECT_TRUE(requestsTo(kProvA, "PRACK", m).empty()) << "a second PRACK for RSeq 1";
  EXPECT_TRUE(responsesTo(kPbx, 183, m).empty()) << "the retransmission relayed to A again";
}

TEST_F(PrackForkStrayTest, PrackFromAIsNotRelayed) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 183, reliable(1)), nullptr);
  const size_t m = mark();
  Request prack = a.request("PRACK");
  prack.headers = {{"RAck", "1 101 INVITE"}};
  deliver(prack, kPbx);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 481) << "we never sent A a reliable provisional";
  EXPECT_TRUE(requestsTo(kProvA, "PRACK", m).empty());
}

TEST_F(PrackForkStrayTest, SecondForkedAnswerIsAckedAndByed) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee fork1 = calleeFor(inv, kProvA, "fork-1");
  fork1.contact = "<sip:phone1@127.0.0.1:5090>";
  Callee fork2 = calleeFor(inv, kProvA, "fork-2");
  fork2.contact = "<sip:phone2@127.0.0.1:5090>";
  ASSERT_NE(calleeSends(a, fork1, 180), nullptr);
  const Sent* answer = calleeSends(a, fork1, 200, sdp(kSdpAnswer));
  ASSERT_NE(answer, nullptr);
  const std::string aTag = answer->toTag();

  const size_t m = mark();
  deliver(fork2.respond(200, sdp(kSdpAnswer)), kProvA);
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->toTag(), "fork-2");
  EXPECT_EQ(std::string(acks[0]->msg->requestUriText()), "sip:phone2@127.0.0.1:5090");
  EXPECT_EQ(acks[0]->header(HeaderId::kCSeq), "1 ACK");
  auto byes = requestsTo(kProvA, "BYE", m);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0]->toTag(), "fork-2");
  EXPECT_EQ(std::string(byes[0]->msg->requestUriText()), "sip:phone2@127.0.0.1:5090");
  EXPECT_EQ(byes[0]->msg->callId(), inv->msg->callId());
  // A keeps one dialog: no second 200, nothing with another tag.
  for (const Sent* s : sentTo(kPbx, m)) ADD_FAILURE() << "sent to A: " << s->bytes;
  EXPECT_EQ(b2b_->callCount(), 1u);
  reply(byes[0], kProvA, 200);

  // The call with fork 1 goes on: A's ACK reaches fork 1, A's BYE too.
  const Sent* ack = callerAcks(a, kProvA);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->toTag(), "fork-1");
  EXPECT_EQ(std::string(ack->msg->requestUriText()), "sip:phone1@127.0.0.1:5090");
  EXPECT_EQ(a.toTag, aTag);
  const size_t m2 = mark();
  deliver(a.request("BYE"), kPbx);
  const Sent* bye = lastRequestTo(kProvA, "BYE", m2);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->toTag(), "fork-1");
  reply(bye, kProvA, 200);
  expectAllGone();
}

// Fork 1 rings (early dialog), fork 2 answers: the 2xx creates the confirmed dialog (§13.2.2.4)
// and the call is answered with fork 2.
TEST_F(PrackForkStrayTest, AnswerFromAForkOtherThanTheRingingOneIsTaken) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee fork1 = calleeFor(inv, kProvA, "fork-1");
  fork1.contact = "<sip:phone1@127.0.0.1:5090>";
  Callee fork2 = calleeFor(inv, kProvA, "fork-2");
  fork2.contact = "<sip:phone2@127.0.0.1:5090>";
  ASSERT_NE(calleeSends(a, fork1, 180), nullptr);

  const size_t m = mark();
  const Sent* answer = calleeSends(a, fork2, 200, sdp(kSdpAnswer));
  EXPECT_NE(answer, nullptr) << "fork 2's answer was not relayed to A";
  EXPECT_TRUE(requestsTo(kProvA, "BYE", m).empty()) << "the answering fork was hung up";
  ASSERT_NE(answer, nullptr);
  const Sent* ack = callerAcks(a, kProvA);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->toTag(), "fork-2");
  EXPECT_EQ(std::string(ack->msg->requestUriText()), "sip:phone2@127.0.0.1:5090");
}

TEST_F(PrackForkStrayTest, StrayAnswerIsAckedAndByedToItsSender) {
  // A 2xx for an INVITE trunkguard never sent (or forgot long ago), from an unknown source.
  const Peer stranger{"stranger", Zone::kTrunk, "127.0.0.9", 5090};
  auto b = sip::MessageBuilder::response(200);
  b.header(HeaderId::kVia, "SIP/2.0/UDP " + kTrunkListener + ";branch=z9hG4bKnever-sent-1");
  b.header(HeaderId::kFrom, "<sip:201@" + kTrunkListener + ">;tag=old-tag");
  b.header(HeaderId::kTo, "<sip:+15551234567@127.0.0.9>;tag=stranger-tag");
  b.header(HeaderId::kCallId, "stray-call-1");
  b.header(HeaderId::kCSeq, "5 INVITE");
  b.header(HeaderId::kContact, "<sip:stranger@127.0.0.9:5090>");
  b.header(HeaderId::kRecordRoute, "<sip:rr2.stranger.example;lr>, <sip:rr1.stranger.example;lr>");
  b.body("application/sdp", kSdpAnswer);
  const size_t m = mark();
  deliver(b.build(), stranger);
  EXPECT_EQ(layer_->stats().strayResponses, 1u);
  auto acks = requestsTo(stranger, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  const Sent& ack = *acks[0];
  EXPECT_EQ(std::string(ack.msg->requestUriText()), "sip:stranger@127.0.0.9:5090");
  EXPECT_EQ(ack.header(HeaderId::kCSeq), "5 ACK");
  EXPECT_EQ(ack.msg->callId(), "stray-call-1");
  EXPECT_EQ(ack.fromTag(), "old-tag");
  EXPECT_EQ(ack.toTag(), "stranger-tag");
  EXPECT_EQ(ack.all(HeaderId::kRoute), (std::vector<std::string>{"<sip:rr1.stranger.example;lr>",
                                                                 "<sip:rr2.stranger.example;lr>"}));
  EXPECT_EQ(ack.target.zone, Zone::kTrunk);
  auto byes = requestsTo(stranger, "BYE", m);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0]->header(HeaderId::kCSeq), "6 BYE");
  EXPECT_EQ(byes[0]->msg->callId(), "stray-call-1");
  EXPECT_EQ(std::string(byes[0]->msg->requestUriText()), "sip:stranger@127.0.0.9:5090");
  EXPECT_EQ(b2b_->callCount(), 0u);
  reply(byes[0], stranger, 200);
  expectAllGone();
}

TEST_F(PrackForkStrayTest, StrayNon2xxIsIgnored) {
  const Peer stranger{"stranger", Zone::kTrunk, "127.0.0.9", 5090};
  auto b = sip::MessageBuilder::response(486);
  b.header(HeaderId::kVia, "SIP/2.0/UDP " + kTrunkListener + ";branch=z9hG4bKnever-sent-2");
  b.header(HeaderId::kFrom, "<sip:201@" + kTrunkListener + ">;tag=old-tag");
  b.header(HeaderId::kTo, "<sip:+15551234567@127.0.0.9>;tag=stranger-tag");
  b.header(HeaderId::kCallId, "stray-call-2");
  b.header(HeaderId::kCSeq, "1 INVITE");
  const size_t m = mark();
  deliver(b.build(), stranger);
  EXPECT_EQ(mark(), m);
}

// B's 2xx retransmitted after B's INVITE transaction has ended (Timer M) is re-ACKed from the
// call's state without a BYE: the dialog is ours and up.
TEST_F(PrackForkStrayTest, LateRetransmissionOfTheAnswerIsReAckedNotByed) {
  Established c = establishOutbound();
  advance(64 * t1() + 1s);  // B's INVITE client transaction is gone
  ASSERT_EQ(b2b_->callCount(), 1u);
  const std::string firstAck = requestsTo(kProvA, "ACK").at(0)->bytes;
  const size_t m = mark();
  deliver(c.b.respond(200, sdp(kSdpAnswer)), kProvA);
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  // The ACK kept for retransmissions is dropped after 64*T1, so a straggler gets a rebuilt
  // ACK for the same dialog and CSeq (a new branch is fine for a 2xx ACK, §17.1.1.3).
  sip::Message first;
  ASSERT_TRUE(first.parse(firstAck).ok());
  const sip::Message& again = *acks[0]->msg;
  EXPECT_EQ(again.callId(), first.callId());
  EXPECT_EQ(again.value(sip::HeaderId::kCSeq), first.value(sip::HeaderId::kCSeq));
  EXPECT_EQ(again.value(sip::HeaderId::kFrom), first.value(sip::HeaderId::kFrom));
  EXPECT_EQ(again.value(sip::HeaderId::kTo), first.value(sip::HeaderId::kTo));
  EXPECT_EQ(again.requestUriText(), first.requestUriText());
  EXPECT_TRUE(requestsTo(kProvA, "BYE", m).empty());
  EXPECT_EQ(b2b_->callCount(), 1u);
}

}  // namespace
}  // namespace tg::b2bua::testing
