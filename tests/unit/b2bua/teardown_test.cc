// Calls the gateway ends itself (B2BUA.md "Ending a call"): the no-answer timer, a caller that
// never ACKs, the end-call API, the maximum duration. Every path ends both legs, finalises the
// CDR once and leaves nothing in the tables.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class TeardownTest : public B2buaTest {};

TEST_F(TeardownTest, NoAnswerTimeoutAnswers480AndCancelsB) {
  Options o;
  o.noAnswerTimeoutS = 5;
  start(o, &cdrStore());
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  const Sent* ringing = calleeSends(a, b, 180);
  ASSERT_NE(ringing, nullptr);

  advance(4900ms);
  EXPECT_TRUE(finalsTo(kPbx).empty());
  EXPECT_TRUE(requestsTo(kProvA, "CANCEL").empty());
  advance(200ms);
  auto finals = finalsTo(kPbx);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 480);
  EXPECT_EQ(finals[0]->toTag(), ringing->toTag());
  EXPECT_GE(finals[0]->atMs, 5000);
  auto cancels = requestsTo(kProvA, "CANCEL");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0]->branch(), inv->branch());
  EXPECT_EQ(cancels[0]->header(HeaderId::kCSeq), "1 CANCEL");

  const size_t m = mark();
  reply(cancels[0], kProvA, 200, {}, b.tag);
  deliver(b.respond(487), kProvA);
  EXPECT_EQ(requestsTo(kProvA, "ACK", m).size(), 1u);
  EXPECT_TRUE(finalsTo(kPbx, m).empty()) << "A already has its 480";
  EXPECT_EQ(b2b_->callCount(), 0u);
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "no-answer");
  EXPECT_EQ(rows[0].sipCode, 480);
  expectAllGone();
}

// The no-answer timer fires while B has sent nothing at all: A gets its 480 at once; the call
// ends when B's INVITE gives up (Timer B) and is recorded as unanswered, not as cancelled by the
// caller.
TEST_F(TeardownTest, NoAnswerTimeoutBeforeAnyProvisional) {
  Options o;
  o.noAnswerTimeoutS = 5;
  start(o, &cdrStore());
  Caller a = pbxCaller();
  ASSERT_NE(sendInvite(a), nullptr);
  advance(5100ms);
  auto finals = finalsTo(kPbx);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 480);
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  EXPECT_TRUE(requestsTo(kProvA, "CANCEL").empty()) << "§9.1: no CANCEL before a provisional";
  advance(64 * t1());
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty()) << "an abandoned call does not fail over";
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "no-answer");
  EXPECT_EQ(rows[0].sipCode, 480);
  expectAllGone();
}

TEST_F(TeardownTest, CallerThatNeverAcksIsByedOnBothLegs) {
  start(Options{}, &cdrStore());
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  ASSERT_NE(calleeSends(a, b, 200, ok), nullptr);

  advance(64 * t1() - 100ms);
  EXPECT_TRUE(requestsTo(kPbx, "BYE").empty());
  EXPECT_TRUE(requestsTo(kProvA, "BYE").empty());
  EXPECT_GE(responsesTo(kPbx, 200).size(), 7u) << "the 2xx is retransmitted meanwhile";
  advance(200ms);
  const Sent* byeA = lastRequestTo(kPbx, "BYE");
  const Sent* byeB = lastRequestTo(kProvA, "BYE");
  ASSERT_NE(byeA, nullptr);
  ASSERT_NE(byeB, nullptr);
  EXPECT_GE(byeA->atMs, 32000);
  EXPECT_EQ(byeA->msg->callId(), a.callId);
  EXPECT_EQ(byeA->fromTag(), a.toTag);
  EXPECT_EQ(std::string(byeA->msg->requestUriText()), "sip:201@127.0.0.1:5080");
  EXPECT_EQ(byeB->msg->callId(), inv->msg->callId());
  EXPECT_EQ(byeB->toTag(), b.tag);
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(layer_->stats().ackTimeouts, 1u);
  reply(byeA, kPbx, 481);
  reply(byeB, kProvA, 200);

  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].endReason.find("ACK"), std::string::npos) << rows[0].endReason;
  EXPECT_EQ(rows[0].endReason, "ended-by-gateway: no ACK from caller");
  expectAllGone();
}

// §13.2.2.4: "The UAC core MUST generate an ACK request for each 2xx received from the
// transaction layer." When A never ACKs, B's 2xx still has to be ACKed before B's BYE.
TEST_F(TeardownTest, BsAnswerIsAckedEvenWhenTheCallerNeverAcks) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 200, sdp(kSdpAnswer)), nullptr);
  advance(64 * t1() + 100ms);
  const Sent* byeB = lastRequestTo(kProvA, "BYE");
  ASSERT_NE(byeB, nullptr);
  auto acks = requestsTo(kProvA, "ACK");
  ASSERT_FALSE(acks.empty()) << "B's 2xx was never ACKed";
  EXPECT_LT(acks[0]->atMs, byeB->atMs + 1);
  EXPECT_EQ(acks[0]->header(HeaderId::kCSeq), "1 ACK");
}

TEST_F(TeardownTest, EndCallOnAConfirmedCallByesBothLegs) {
  start(Options{}, &cdrStore());
  Established c = establishOutbound();
  advance(2s);
  const uint64_t id = b2b_->activeCalls().at(0).id;
  const size_t m = mark();
  EXPECT_TRUE(b2b_->endCall(id, "fraud score 97"));
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeA, nullptr);
  ASSERT_NE(byeB, nullptr);
  EXPECT_EQ(byeA->msg->callId(), c.a.callId);
  EXPECT_EQ(byeA->fromTag(), c.a.toTag);
  EXPECT_EQ(byeA->toTag(), c.a.fromTag);
  EXPECT_EQ(std::string(byeA->msg->requestUriText()), "sip:201@127.0.0.1:5080");
  EXPECT_EQ(byeB->msg->callId(), std::string(c.b.invite->callId()));
  EXPECT_EQ(byeB->header(HeaderId::kCSeq), "2 BYE");
  EXPECT_EQ(byeB->toTag(), c.b.tag);
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(b2b_->dialogIndexSize(), 0u);
  EXPECT_FALSE(b2b_->endCall(id, "again")) << "no such call any more";
  reply(byeA, kPbx, 200);
  reply(byeB, kProvA, 200);
  // A late BYE from either side is 481 now.
  const size_t m2 = mark();
  deliver(c.a.request("BYE"), kPbx);
  EXPECT_EQ(codesTo(kPbx, m2), std::vector<int>{481});

  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].endReason, "ended-by-gateway: fraud score 97");
  EXPECT_EQ(rows[0].disposition, "answered");
  EXPECT_EQ(rows[0].durationMs, 2000);
  expectAllGone();
}

TEST_F(TeardownTest, EndCallOnAnEarlyCallAnswers480AndCancelsB) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  const Sent* ringing = calleeSends(a, b, 180);
  ASSERT_NE(ringing, nullptr);
  const size_t m = mark();
  EXPECT_TRUE(b2b_->endCall(b2b_->activeCalls().at(0).id, "spend limit"));
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 480);
  EXPECT_EQ(finals[0]->toTag(), ringing->toTag());
  auto cancels = requestsTo(kProvA, "CANCEL", m);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0]->branch(), inv->branch());
  EXPECT_TRUE(requestsTo(kProvA, "BYE", m).empty());
  reply(cancels[0], kProvA, 200, {}, b.tag);
  deliver(b.respond(487), kProvA);
  EXPECT_EQ(b2b_->callCount(), 0u);
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  expectAllGone();
}

TEST_F(TeardownTest, EndCallBeforeAnyProvisionalWaitsToCancel) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  EXPECT_TRUE(b2b_->endCall(b2b_->activeCalls().at(0).id, "admin"));
  EXPECT_EQ(codesTo(kPbx), (std::vector<int>{100, 480}));
  EXPECT_TRUE(requestsTo(kProvA, "CANCEL").empty());
  const size_t m = mark();
  deliver(b.respond(180), kProvA);
  EXPECT_EQ(requestsTo(kProvA, "CANCEL", m).size(), 1u);
  EXPECT_TRUE(responsesTo(kPbx, 180, m).empty());
  reply(lastRequestTo(kProvA, "CANCEL", m), kProvA, 200, {}, b.tag);
  deliver(b.respond(487), kProvA);
  deliver(a.ackNon2xx(responsesTo(kPbx, 480)[0]->toTag()), kPbx);
  expectAllGone();
}

TEST_F(TeardownTest, EndCallOfAnUnknownCallIsFalse) {
  EXPECT_FALSE(b2b_->endCall(12345, "nothing"));
}

TEST_F(TeardownTest, MaximumDurationEndsTheCall) {
  Options o;
  o.maxCallDurationS = 10;
  start(o, &cdrStore());
  Established c = establishOutbound();
  advance(9900ms);
  EXPECT_TRUE(requestsTo(kProvA, "BYE").empty());
  advance(200ms);
  const Sent* byeA = lastRequestTo(kPbx, "BYE");
  const Sent* byeB = lastRequestTo(kProvA, "BYE");
  ASSERT_NE(byeA, nullptr);
  ASSERT_NE(byeB, nullptr);
  reply(byeA, kPbx, 200);
  reply(byeB, kProvA, 200);
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].endReason, "ended-by-gateway: maximum call duration reached");
  EXPECT_EQ(rows[0].durationMs, 10000);
  expectAllGone();
}

TEST_F(TeardownTest, ManyCallsLeaveNothingBehind) {
  for (int i = 0; i < 20; ++i) {
    Caller a = pbxCaller("bulk-" + std::to_string(i) + "@pbx.example.com");
    a.fromTag = "bulk-tag-" + std::to_string(i);
    Established c = establish(a);
    const size_t m = mark();
    if (i % 2 == 0) {
      deliver(c.a.request("BYE"), kPbx);
      reply(lastRequestTo(kProvA, "BYE", m), kProvA, 200);
    } else {
      deliver(c.b.request("BYE"), kProvA);
      reply(lastRequestTo(kPbx, "BYE", m), kPbx, 200);
    }
  }
  expectAllGone();
  EXPECT_EQ(b2b_->stats().callsStarted, 20u);
  EXPECT_EQ(b2b_->stats().callsAnswered, 20u);
}

TEST_F(TeardownTest, DestroyingTheGatewayWithCallsUpIsSafe) {
  establishOutbound();
  Caller ringing = pbxCaller("ringing@pbx.example.com");
  ASSERT_NE(sendInvite(ringing), nullptr);
  EXPECT_EQ(b2b_->callCount(), 2u);
  stop();
  advance(1min);  // nothing left to fire into freed objects
  SUCCEED();
}

// A provider that rings and then goes silent: the no-answer timer sends 480 and a CANCEL; when
// neither the CANCEL nor the INVITE is ever answered, the INVITE is given up 64*T1 after the
// CANCEL (§9.1) and the call ends.
TEST_F(TeardownTest, RingingProviderThatGoesSilentIsGivenUp) {
  Options o;
  o.noAnswerTimeoutS = 5;
  start(o);
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  advance(5100ms);
  ASSERT_EQ(branchesTo(kProvA, "CANCEL").size(), 1u);
  deliver(a.ackNon2xx(a.toTag), kPbx);
  advance(64 * t1() - 200ms);
  EXPECT_EQ(b2b_->callCount(), 1u);
  advance(400ms);
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(finalsTo(kPbx).size(), 1u) << "A got its 480 only";
  expectAllGone();
}

// endCall() before B sent anything, and B stays silent: the call ends at Timer B; its CDR keeps
// the gateway's reason and the 480 A was given.
TEST_F(TeardownTest, EndCallBeforeAnyProvisionalKeepsTheReasonInTheCdr) {
  start(Options{}, &cdrStore());
  Caller a = pbxCaller();
  ASSERT_NE(sendInvite(a), nullptr);
  EXPECT_TRUE(b2b_->endCall(b2b_->activeCalls().at(0).id, "admin"));
  deliver(a.ackNon2xx(responsesTo(kPbx, 480).at(0)->toTag()), kPbx);
  advance(64 * t1() + 100ms);
  EXPECT_EQ(b2b_->callCount(), 0u);
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].endReason, "ended-by-gateway: admin");
  EXPECT_EQ(rows[0].sipCode, 480);
  expectAllGone();
}

}  // namespace
}  // namespace tg::b2bua::testing
