// CANCEL from A (B2BUA.md "CANCEL from A", RFC 3261 §9): 200 to the CANCEL, 487 to the INVITE,
// CANCEL on B once B has sent a provisional, and a 2xx crossing the CANCEL is ACKed and BYEd.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class CancelTest : public B2buaTest {
 protected:
  // The CANCEL trunkguard sends for B's INVITE (§9.1): same Request-URI, Call-ID, From, To,
  // CSeq number and top Via branch.
  void expectCancelFor(const Sent& cancel, const Sent& invite) {
    const sip::Message& c = *cancel.msg;
    const sip::Message& i = *invite.msg;
    EXPECT_EQ(c.requestUriText(), i.requestUriText());
    EXPECT_EQ(c.callId(), i.callId());
    EXPECT_EQ(cancel.header(HeaderId::kFrom), invite.header(HeaderId::kFrom));
    EXPECT_EQ(cancel.header(HeaderId::kTo), invite.header(HeaderId::kTo));
    EXPECT_EQ(cancel.header(HeaderId::kCSeq), "1 CANCEL");
    EXPECT_EQ(cancel.branch(), invite.branch());
    EXPECT_EQ(c.count(HeaderId::kVia), 1u);
    EXPECT_EQ(cancel.target.address, invite.target.address);
    EXPECT_EQ(cancel.target.zone, invite.target.zone);
  }
};

TEST_F(CancelTest, CancelAfterRingingEndsBothLegs) {
  start(Options{}, &cdrStore());
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  const Sent* ringing = calleeSends(a, b, 180);
  ASSERT_NE(ringing, nullptr);
  const std::string tag180 = ringing->toTag();

  const size_t m = mark();
  deliver(a.cancel(), kPbx);
  // 200 to the CANCEL, 487 to the INVITE, both with the 180's To tag (§9.2).
  auto cancelOk = responsesTo(kPbx, 200, m);
  ASSERT_EQ(cancelOk.size(), 1u);
  EXPECT_EQ(cancelOk[0]->header(HeaderId::kCSeq), "101 CANCEL");
  EXPECT_EQ(cancelOk[0]->toTag(), tag180);
  auto terminated = responsesTo(kPbx, 487, m);
  ASSERT_EQ(terminated.size(), 1u);
  EXPECT_EQ(terminated[0]->header(HeaderId::kCSeq), "101 INVITE");
  EXPECT_EQ(terminated[0]->toTag(), tag180);
  EXPECT_EQ(terminated[0]->branch(), a.inviteBranch);
  // CANCEL on B.
  auto cancels = requestsTo(kProvA, "CANCEL", m);
  ASSERT_EQ(cancels.size(), 1u);
  expectCancelFor(*cancels[0], *inv);

  // B: 200 to the CANCEL, 487 to the INVITE; the client transaction ACKs the 487.
  const size_t m2 = mark();
  reply(cancels[0], kProvA, 200, {}, b.tag);
  deliver(b.respond(487), kProvA);
  auto acks = requestsTo(kProvA, "ACK", m2);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->header(HeaderId::kCSeq), "1 ACK");
  EXPECT_EQ(acks[0]->branch(), inv->branch()) << "ACK for a non-2xx: the INVITE's branch";
  EXPECT_EQ(acks[0]->toTag(), b.tag);
  EXPECT_EQ(acks[0]->msg->requestUriText(), inv->msg->requestUriText());
  // B's 487 is not relayed again to A.
  EXPECT_TRUE(responsesTo(kPbx, 487, m2).empty());
  EXPECT_EQ(b2b_->callCount(), 0u);

  // A ACKs its 487.
  deliver(a.ackNon2xx(tag180), kPbx);
  advance(2s);
  EXPECT_EQ(responsesTo(kPbx, 487).size(), 1u) << "no 487 retransmission after A's ACK";

  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "cancelled");
  EXPECT_EQ(rows[0].sipCode, 487);
  EXPECT_FALSE(rows[0].answerTime.has_value());
  expectAllGone();
}

TEST_F(CancelTest, The487IsRetransmittedToAUntilItsAck) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  deliver(a.cancel(), kPbx);
  advance(1600ms);  // Timer G: 500, 1500
  EXPECT_EQ(responsesTo(kPbx, 487).size(), 3u);
  // A retransmits its CANCEL: answered again from the CANCEL transaction.
  const size_t m = mark();
  deliver(a.cancel(), kPbx);
  EXPECT_EQ(responsesTo(kPbx, 200, m).size(), 1u);
  EXPECT_EQ(requestsTo(kProvA, "CANCEL", m).size(), 0u);
}

TEST_F(CancelTest, CancelBeforeAnyProvisionalWaitsForBsRinging) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);

  const size_t m = mark();
  deliver(a.cancel(), kPbx);
  EXPECT_EQ(responsesTo(kPbx, 200, m).size(), 1u);
  auto terminated = responsesTo(kPbx, 487, m);
  ASSERT_EQ(terminated.size(), 1u);
  // The 200 to the CANCEL and the 487 carry the same tag.
  EXPECT_EQ(terminated[0]->toTag(), responsesTo(kPbx, 200, m)[0]->toTag());
  // §9.1: no CANCEL before a provisional response.
  EXPECT_TRUE(requestsTo(kProvA, "CANCEL").empty());
  advance(200ms);
  EXPECT_TRUE(requestsTo(kProvA, "CANCEL").empty());

  const size_t m2 = mark();
  deliver(b.respond(180), kProvA);
  auto cancels = requestsTo(kProvA, "CANCEL", m2);
  ASSERT_EQ(cancels.size(), 1u) << "the CANCEL goes out with B's first provisional";
  expectCancelFor(*cancels[0], *inv);
  EXPECT_TRUE(responsesTo(kPbx, 180, m2).empty()) << "A's INVITE is already answered 487";

  reply(cancels[0], kProvA, 200, {}, b.tag);
  deliver(b.respond(487), kProvA);
  EXPECT_EQ(requestsTo(kProvA, "ACK", m2).size(), 1u);
  EXPECT_EQ(responsesTo(kPbx, 487).size(), 1u);
  deliver(a.ackNon2xx(terminated[0]->toTag()), kPbx);
  expectAllGone();
}

// §9.1: "If no provisional response has been received, the CANCEL request MUST NOT be sent;
// rather, the client MUST wait for the arrival of a provisional response". 100 Trying is a
// provisional response: once it has arrived, the CANCEL may and should go out.
TEST_F(CancelTest, CancelWaitingForAProvisionalGoesOutWithB100Trying) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  deliver(a.cancel(), kPbx);
  ASSERT_TRUE(requestsTo(kProvA, "CANCEL").empty());

  const size_t m = mark();
  deliver(b.respond(100), kProvA);
  auto cancels = requestsTo(kProvA, "CANCEL", m);
  ASSERT_EQ(cancels.size(), 1u)
      << "B's 100 Trying is a provisional response: the pending CANCEL must go out now, not "
         "with B's next provisional or the no-answer timer";
  expectCancelFor(*cancels[0], *inv);
}

TEST_F(CancelTest, CancelAfterB100TryingGoesOutAtOnce) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  deliver(b.respond(100), kProvA);
  EXPECT_EQ(responsesTo(kPbx, 100).size(), 1u) << "B's 100 is not relayed (A had ours)";
  const size_t m = mark();
  deliver(a.cancel(), kPbx);
  auto cancels = requestsTo(kProvA, "CANCEL", m);
  ASSERT_EQ(cancels.size(), 1u);
  expectCancelFor(*cancels[0], *inv);
  reply(cancels[0], kProvA, 200, {}, b.tag);
  deliver(b.respond(487), kProvA);
  deliver(a.ackNon2xx(responsesTo(kPbx, 487)[0]->toTag()), kPbx);
  expectAllGone();
}

TEST_F(CancelTest, SilentBAfterCancelIsGivenUpWithTimerB) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  deliver(a.cancel(), kPbx);
  const std::string tag = responsesTo(kPbx, 487)[0]->toTag();
  deliver(a.ackNon2xx(tag), kPbx);
  EXPECT_EQ(b2b_->callCount(), 1u) << "B's INVITE is still pending";
  advance(64 * t1() + 100ms);
  EXPECT_TRUE(requestsTo(kProvA, "CANCEL").empty());
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty()) << "a cancelled call does not fail over";
  EXPECT_EQ(finalsTo(kPbx).size(), 2u) << "the CANCEL's 200 and the 487, nothing else";
  expectAllGone();
}

TEST_F(CancelTest, AnswerCrossingTheCancelIsAckedAndByed) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  deliver(a.cancel(), kPbx);
  const Sent* cancel = lastRequestTo(kProvA, "CANCEL");
  ASSERT_NE(cancel, nullptr);

  // B answered before it saw the CANCEL; its CANCEL answer is a 200 too (§9.2).
  const size_t m = mark();
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  deliver(b.respond(200, ok), kProvA);
  reply(cancel, kProvA, 200, {}, b.tag);
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->header(HeaderId::kCSeq), "1 ACK");
  EXPECT_EQ(acks[0]->toTag(), b.tag);
  EXPECT_EQ(std::string(acks[0]->msg->requestUriText()), "sip:uas@127.0.0.1:5090");
  EXPECT_NE(acks[0]->branch(), inv->branch()) << "an ACK for a 2xx is its own transaction";
  auto byes = requestsTo(kProvA, "BYE", m);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0]->msg->callId(), inv->msg->callId());
  EXPECT_EQ(byes[0]->toTag(), b.tag);
  EXPECT_EQ(byes[0]->fromTag(), inv->fromTag());
  EXPECT_GT(byes[0]->msg->cseq()->number, 1u);
  EXPECT_EQ(std::string(byes[0]->msg->requestUriText()), "sip:uas@127.0.0.1:5090");
  // A only ever saw the 487.
  EXPECT_TRUE(responsesTo(kPbx, 200, m).empty());
  EXPECT_EQ(responsesTo(kPbx, 487).size(), 1u);
  EXPECT_EQ(b2b_->callCount(), 0u);
  reply(byes[0], kProvA, 200);
  deliver(a.ackNon2xx(responsesTo(kPbx, 487)[0]->toTag()), kPbx);
  expectAllGone();
}

// A retransmission of the crossing 2xx (B did not get our ACK yet) is ACKed again; the dialog
// is torn down once: one BYE transaction.
TEST_F(CancelTest, RetransmittedCrossingAnswerIsReAckedWithoutASecondBye) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  deliver(a.cancel(), kPbx);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  deliver(b.respond(200, ok), kProvA);
  ASSERT_EQ(requestsTo(kProvA, "ACK").size(), 1u);
  deliver(b.respond(200, ok), kProvA);
  EXPECT_EQ(requestsTo(kProvA, "ACK").size(), 2u) << "each 2xx is ACKed (§13.2.2.4)";
  EXPECT_EQ(branchesTo(kProvA, "BYE").size(), 1u) << "one BYE for the one dialog";
}

// The CANCEL is one transaction (§9.1); B's further provisionals must not start another.
TEST_F(CancelTest, FurtherProvisionalsDoNotSendASecondCancel) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  deliver(a.cancel(), kPbx);
  ASSERT_EQ(requestsTo(kProvA, "CANCEL").size(), 1u);
  const Sent* cancel = lastRequestTo(kProvA, "CANCEL");
  reply(cancel, kProvA, 200, {}, b.tag);
  // B's 183 crossed our CANCEL.
  deliver(b.respond(183, sdp(kSdpAnswer)), kProvA);
  EXPECT_EQ(requestsTo(kProvA, "CANCEL").size(), 1u);
  EXPECT_TRUE(responsesTo(kPbx, 183).empty()) << "A's INVITE is already answered 487";
}

TEST_F(CancelTest, CancelForAnUnknownInviteIs481) {
  Caller a = pbxCaller();
  a.inviteBranch = "z9hG4bK-never-sent";
  const size_t m = mark();
  deliver(a.cancel(), kPbx);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{481});
  EXPECT_EQ(b2b_->callCount(), 0u);
  expectAllGone();
}

TEST_F(CancelTest, CancelAfterTheAnswerChangesNothing) {
  Established c = establishOutbound();
  const size_t m = mark();
  deliver(c.a.cancel(), kPbx);
  // §9.2: the INVITE has its final response; the CANCEL itself is answered 200.
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{200});
  EXPECT_TRUE(requestsTo(kProvA, "CANCEL", m).empty());
  EXPECT_EQ(b2b_->callCount(), 1u);
}

}  // namespace
}  // namespace tg::b2bua::testing
