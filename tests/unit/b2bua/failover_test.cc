// Failover and final responses from the provider (B2BUA.md "Initial INVITE on A" step 4,
// "Responses on B"): 503 / 408 / timeout move to the next provider while A sees only its
// 100 Trying; other finals are relayed (mapped for 3xx and 401/407) without failover.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class FailoverTest : public B2buaTest {};

TEST_F(FailoverTest, ServiceUnavailableMovesToTheNextProvider) {
  start(Options{}, &cdrStore());
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  Callee provA = calleeFor(invA, kProvA, "prov-a-tag");

  const size_t m = mark();
  deliver(provA.respond(503), kProvA);
  // The 503 is ACKed on provider A's transaction.
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->branch(), invA->branch());
  // A new B leg to provider B.
  const Sent* invB = lastRequestTo(kProvB, "INVITE", m);
  ASSERT_NE(invB, nullptr);
  EXPECT_EQ(invB->target.address, kProvB.address());
  EXPECT_EQ(invB->target.zone, Zone::kTrunk);
  EXPECT_EQ(std::string(invB->msg->requestUriText()), "sip:+15551234567@127.0.0.2:5090");
  EXPECT_NE(invB->msg->callId(), invA->msg->callId()) << "a new Call-ID for the new attempt";
  EXPECT_NE(invB->fromTag(), invA->fromTag());
  EXPECT_NE(invB->branch(), invA->branch());
  EXPECT_EQ(invB->header(HeaderId::kCSeq), "1 INVITE");
  EXPECT_EQ(invB->msg->body(), kSdpOffer);
  // A saw nothing of it.
  EXPECT_TRUE(finalsTo(kPbx).empty());
  EXPECT_EQ(codesTo(kPbx), std::vector<int>{100});
  EXPECT_EQ(b2b_->stats().failovers, 1u);
  EXPECT_EQ(b2b_->activeCalls().at(0).provider, "carrier-b");
  EXPECT_EQ(b2b_->dialogIndexSize(), 2u) << "the abandoned B Call-ID is forgotten";

  // Provider B answers: a normal call.
  Callee provB = calleeFor(invB, kProvB, "prov-b-tag");
  ASSERT_NE(calleeSends(a, provB, 180), nullptr);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  const Sent* answer = calleeSends(a, provB, 200, ok);
  ASSERT_NE(answer, nullptr);
  ASSERT_NE(callerAcks(a, kProvB), nullptr);
  const size_t m2 = mark();
  deliver(a.request("BYE"), kPbx);
  const Sent* bye = lastRequestTo(kProvB, "BYE", m2);
  ASSERT_NE(bye, nullptr);
  EXPECT_TRUE(requestsTo(kProvA, "BYE", m2).empty());
  reply(bye, kProvB, 200);

  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].provider, "carrier-b");
  EXPECT_EQ(rows[0].bCallId, std::string(invB->msg->callId()));
  EXPECT_EQ(rows[0].disposition, "answered");
  expectAllGone();
}

TEST_F(FailoverTest, RequestTimeoutResponseMovesToTheNextProvider) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  const size_t m = mark();
  deliver(calleeFor(invA).respond(408), kProvA);
  EXPECT_NE(lastRequestTo(kProvB, "INVITE", m), nullptr);
  EXPECT_TRUE(finalsTo(kPbx).empty());
}

TEST_F(FailoverTest, SilentProviderIsLeftAfterTimerB) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  advance(64 * t1() - 100ms);
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty());
  // Timer A retransmitted the INVITE to provider A meanwhile (500, 1500, 3500, ... ms).
  EXPECT_GE(requestsTo(kProvA, "INVITE").size(), 6u);
  advance(200ms);
  auto invB = requestsTo(kProvB, "INVITE");
  ASSERT_EQ(invB.size(), 1u);
  EXPECT_GE(invB[0]->atMs, 32000);
  EXPECT_LE(invB[0]->atMs, 32100);
  EXPECT_NE(invB[0]->msg->callId(), invA->msg->callId());
  EXPECT_TRUE(finalsTo(kPbx).empty());
  // No more retransmissions toward provider A.
  const size_t before = requestsTo(kProvA, "INVITE").size();
  advance(10s);
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), before);
  EXPECT_EQ(b2b_->stats().failovers, 1u);
}

TEST_F(FailoverTest, BothProvidersUnavailableGivesAFinalErrorToA) {
  start(Options{}, &cdrStore());
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  deliver(calleeFor(invA, kProvA).respond(503), kProvA);
  const Sent* invB = lastRequestTo(kProvB, "INVITE");
  ASSERT_NE(invB, nullptr);
  const size_t m = mark();
  ResponseOptions o;
  o.headers = {{"Retry-After", "120"}, {"Warning", "399 core7.carrier \"overload\""}};
  deliver(calleeFor(invB, kProvB).respond(503, o), kProvB);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 503);
  EXPECT_EQ(finals[0]->header(HeaderId::kCSeq), "101 INVITE");
  EXPECT_FALSE(finals[0]->toTag().empty());
  EXPECT_EQ(finals[0]->header(HeaderId::kRetryAfter), "120");
  EXPECT_FALSE(finals[0]->msg->has(HeaderId::kWarning));
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(b2b_->stats().callsFailed, 1u);
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].sipCode, 503);
  EXPECT_EQ(rows[0].disposition, "failed");
  expectAllGone();
}

TEST_F(FailoverTest, BothProvidersSilentGivesATimeoutToA) {
  Caller a = pbxCaller();
  ASSERT_NE(sendInvite(a, kProvA), nullptr);
  advance(64 * t1() + 100ms);
  ASSERT_EQ(branchesTo(kProvB, "INVITE").size(), 1u);
  EXPECT_TRUE(finalsTo(kPbx).empty());
  advance(64 * t1());
  auto finals = finalsTo(kPbx);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_TRUE(finals[0]->msg->statusCode() == 408 || finals[0]->msg->statusCode() == 503)
      << finals[0]->msg->statusCode();
  EXPECT_GE(finals[0]->atMs, 64000);
  EXPECT_EQ(b2b_->callCount(), 0u);
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  expectAllGone();
}

TEST_F(FailoverTest, BusyIsRelayedWithoutFailover) {
  start(Options{}, &cdrStore());
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  Callee b = calleeFor(invA);
  const Sent* ringing = calleeSends(a, b, 180);
  ASSERT_NE(ringing, nullptr);
  const size_t m = mark();
  deliver(b.respond(486), kProvA);
  EXPECT_EQ(requestsTo(kProvA, "ACK", m).size(), 1u);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 486);
  EXPECT_EQ(finals[0]->toTag(), ringing->toTag()) << "the early dialog's tag";
  EXPECT_EQ(finals[0]->msg->callId(), a.callId);
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty());
  EXPECT_EQ(b2b_->stats().failovers, 0u);
  EXPECT_EQ(b2b_->callCount(), 0u);
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  advance(2s);
  EXPECT_EQ(finalsTo(kPbx, m).size(), 1u) << "A's ACK stopped Timer G";
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "busy");
  EXPECT_EQ(rows[0].sipCode, 486);
  expectAllGone();
}

TEST_F(FailoverTest, RedirectIsNeverRelayed) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  const size_t m = mark();
  ResponseOptions o;
  o.contact = "<sip:+19005550100@premium.example>";
  deliver(calleeFor(invA).respond(302, o), kProvA);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 480);
  EXPECT_EQ(finals[0]->bytes.find("premium.example"), std::string::npos);
  EXPECT_EQ(finals[0]->bytes.find("19005550100"), std::string::npos);
  EXPECT_FALSE(finals[0]->msg->has(HeaderId::kContact));
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty());
  // Nobody follows the redirect.
  for (const Sent* s : sentToZone(Zone::kTrunk, m)) {
    EXPECT_EQ(s->bytes.find("premium.example"), std::string::npos) << s->bytes;
  }
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  expectAllGone();
}

TEST_F(FailoverTest, ProviderAuthenticationChallengeBecomesForbidden) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  const size_t m = mark();
  ResponseOptions o;
  o.headers = {{"Proxy-Authenticate", "Digest realm=\"carrier\", nonce=\"abc123\""}};
  deliver(calleeFor(invA).respond(407, o), kProvA);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 403);
  EXPECT_FALSE(finals[0]->msg->has(HeaderId::kProxyAuthenticate));
  EXPECT_EQ(finals[0]->bytes.find("abc123"), std::string::npos);
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty());
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  expectAllGone();
}

TEST_F(FailoverTest, UnauthorizedBecomesForbiddenToo) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  const size_t m = mark();
  ResponseOptions o;
  o.headers = {{"WWW-Authenticate", "Digest realm=\"carrier\", nonce=\"n1\""}};
  deliver(calleeFor(invA).respond(401, o), kProvA);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{403});
}

TEST_F(FailoverTest, LateAnswerFromTheAbandonedProviderIsAckedAndByed) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  advance(64 * t1() + 100ms);
  const Sent* invB = lastRequestTo(kProvB, "INVITE");
  ASSERT_NE(invB, nullptr);
  Callee provB = calleeFor(invB, kProvB, "prov-b-tag");
  ASSERT_NE(calleeSends(a, provB, 180), nullptr);

  // Provider A wakes up and answers the INVITE we gave up on.
  const size_t m = mark();
  Callee late = calleeFor(invA, kProvA, "late-tag");
  deliver(late.respond(200, sdp(kSdpAnswer)), kProvA);
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->msg->callId(), invA->msg->callId());
  EXPECT_EQ(acks[0]->toTag(), "late-tag");
  auto byes = requestsTo(kProvA, "BYE", m);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0]->msg->callId(), invA->msg->callId());
  EXPECT_EQ(std::string(byes[0]->msg->requestUriText()), "sip:uas@127.0.0.1:5090");
  // The call through provider B is untouched; A never sees the late answer.
  EXPECT_TRUE(responsesTo(kPbx, 200, m).empty());
  EXPECT_EQ(b2b_->callCount(), 1u);
  EXPECT_EQ(b2b_->activeCalls().at(0).state, CallState::kEarly);
  reply(byes[0], kProvA, 200);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  ASSERT_NE(calleeSends(a, provB, 200, ok), nullptr);
  ASSERT_NE(callerAcks(a, kProvB), nullptr);
}

TEST_F(FailoverTest, ProvisionalThenServiceUnavailableStillFailsOver) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  Callee provA = calleeFor(invA, kProvA, "prov-a-tag");
  const Sent* r1 = calleeSends(a, provA, 183, sdp(kSdpAnswer));
  ASSERT_NE(r1, nullptr);
  const size_t m = mark();
  deliver(provA.respond(503), kProvA);
  const Sent* invB = lastRequestTo(kProvB, "INVITE", m);
  ASSERT_NE(invB, nullptr);
  EXPECT_TRUE(finalsTo(kPbx, m).empty());
  Callee provB = calleeFor(invB, kProvB, "prov-b-tag");
  const Sent* r2 = calleeSends(a, provB, 180);
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(r2->toTag(), r1->toTag()) << "A keeps one early dialog";
}

TEST_F(FailoverTest, DeclineIsRelayedWithoutFailover) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  const size_t m = mark();
  deliver(calleeFor(invA).respond(603), kProvA);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{603});
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty());
  deliver(a.ackNon2xx(lastResponseTo(kPbx, 603)->toTag()), kPbx);
  expectAllGone();
}

}  // namespace
}  // namespace tg::b2bua::testing
