// Inbound calls provider -> PBX: the same machinery with the zones swapped.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class InboundCallTest : public B2buaTest {};

TEST_F(InboundCallTest, CallFromProviderAReachesThePbx) {
  start(Options{}, &cdrStore());
  Caller a = providerCaller(kProvA);
  const size_t m = mark();
  deliver(a.invite(), kProvA);
  ASSERT_GT(sender_.sent.size(), m);
  EXPECT_TRUE(sender_.sent[m].isResponse(100));
  EXPECT_TRUE(sender_.sent[m].to(kProvA));

  const Sent* inv = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(inv, nullptr);
  const sip::Message& i = *inv->msg;
  EXPECT_EQ(inv->target.zone, Zone::kPbx);
  EXPECT_EQ(inv->target.address, kPbx.address());
  EXPECT_EQ(std::string(i.requestUriText()), "sip:+493012345678@127.0.0.1:5080");
  EXPECT_NE(i.callId(), a.callId);
  EXPECT_NE(i.from()->tag(), a.fromTag);
  EXPECT_EQ(inv->header(HeaderId::kCSeq), "1 INVITE");
  EXPECT_EQ(inv->header(HeaderId::kVia).rfind("SIP/2.0/UDP " + kPbxListener + ";", 0), 0u);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kContact)), "sip:trunkguard@" + kPbxListener);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:+15550001111@" + kPbxListener);
  EXPECT_EQ(i.maxForwards(), std::optional<uint32_t>(69));
  EXPECT_EQ(i.body(), kSdpOffer);

  auto calls = b2b_->activeCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].direction, Direction::kInbound);
  EXPECT_EQ(calls[0].provider, "carrier-a") << "the provider the call came from";
  EXPECT_EQ(calls[0].dialled, "+493012345678");

  Callee pbx = calleeFor(inv, kPbx, "pbx-tag-1");
  const Sent* ringing = calleeSends(a, pbx, 180);
  ASSERT_NE(ringing, nullptr);
  EXPECT_TRUE(ringing->to(kProvA));
  EXPECT_NE(ringing->toTag(), "pbx-tag-1");
  EXPECT_EQ(ringing->msg->callId(), a.callId);
  EXPECT_EQ(uriOf(ringing->header(HeaderId::kContact)), "sip:trunkguard@" + kTrunkListener);
  const Sent* answer = calleeSends(a, pbx, 200, sdp(kSdpAnswer));
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->toTag(), ringing->toTag());
  EXPECT_EQ(answer->msg->body(), kSdpAnswer);
  EXPECT_EQ(answer->header(HeaderId::kCSeq), "20 INVITE");

  const Sent* ack = callerAcks(a, kPbx);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->header(HeaderId::kCSeq), "1 ACK");
  EXPECT_EQ(std::string(ack->msg->requestUriText()), "sip:uas@127.0.0.1:5080");
  EXPECT_EQ(ack->toTag(), "pbx-tag-1");

  // The PBX hangs up.
  const size_t m2 = mark();
  deliver(pbx.request("BYE"), kPbx);
  EXPECT_EQ(codesTo(kPbx, m2), std::vector<int>{200});
  const Sent* bye = lastRequestTo(kProvA, "BYE", m2);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(std::string(bye->msg->requestUriText()), "sip:+15550001111@127.0.0.1:5090");
  EXPECT_EQ(bye->msg->callId(), a.callId);
  EXPECT_EQ(bye->fromTag(), a.toTag);
  EXPECT_EQ(bye->toTag(), a.fromTag);
  EXPECT_EQ(bye->target.zone, Zone::kTrunk);
  EXPECT_EQ(bye->target.address, kProvA.address());
  EXPECT_EQ(bye->header(HeaderId::kVia).rfind("SIP/2.0/UDP " + kTrunkListener + ";", 0), 0u);
  reply(bye, kProvA, 200);

  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].direction, "inbound");
  EXPECT_EQ(rows[0].provider, "carrier-a");
  EXPECT_EQ(rows[0].disposition, "answered");
  EXPECT_EQ(rows[0].endReason, "bye-from-b");
  EXPECT_EQ(rows[0].sourceAddress, "127.0.0.1:5090");
  expectAllGone();
}

TEST_F(InboundCallTest, CallFromProviderBIsAttributedToIt) {
  Caller a = providerCaller(kProvB, "in-call-b@carrier-b.example");
  const Sent* inv = sendInvite(a, kPbx);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(responsesTo(kProvB, 100).size(), 1u);
  auto calls = b2b_->activeCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].provider, "carrier-b");
  EXPECT_EQ(calls[0].direction, Direction::kInbound);
}

TEST_F(InboundCallTest, ByeFromTheProviderEndsThePbxLeg) {
  Established c = establishInbound();
  const size_t m = mark();
  deliver(c.a.request("BYE"), kProvA);
  EXPECT_EQ(codesTo(kProvA, m), std::vector<int>{200});
  const Sent* bye = lastRequestTo(kPbx, "BYE", m);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->msg->callId(), std::string(c.b.invite->callId()));
  EXPECT_EQ(bye->header(HeaderId::kCSeq), "2 BYE");
  EXPECT_EQ(bye->toTag(), c.b.tag);
  EXPECT_EQ(b2b_->callCount(), 0u);
  reply(bye, kPbx, 200);
  expectAllGone();
}

TEST_F(InboundCallTest, PbxBusyIsRelayedToTheProvider) {
  Caller a = providerCaller();
  const Sent* inv = sendInvite(a, kPbx);
  ASSERT_NE(inv, nullptr);
  const size_t m = mark();
  deliver(calleeFor(inv, kPbx).respond(486), kPbx);
  auto finals = finalsTo(kProvA, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 486);
  EXPECT_EQ(finals[0]->header(HeaderId::kCSeq), "20 INVITE");
  deliver(a.ackNon2xx(finals[0]->toTag()), kProvA);
  expectAllGone();
}

TEST_F(InboundCallTest, CancelFromTheProviderReachesThePbx) {
  Caller a = providerCaller();
  const Sent* inv = sendInvite(a, kPbx);
  ASSERT_NE(inv, nullptr);
  Callee pbx = calleeFor(inv, kPbx);
  ASSERT_NE(calleeSends(a, pbx, 180), nullptr);
  const size_t m = mark();
  deliver(a.cancel(), kProvA);
  EXPECT_EQ(codesTo(kProvA, m), (std::vector<int>{200, 487}));
  const Sent* cancel = lastRequestTo(kPbx, "CANCEL", m);
  ASSERT_NE(cancel, nullptr);
  EXPECT_EQ(cancel->branch(), inv->branch());
  reply(cancel, kPbx, 200, {}, pbx.tag);
  deliver(pbx.respond(487), kPbx);
  EXPECT_EQ(requestsTo(kPbx, "ACK", m).size(), 1u);
  deliver(a.ackNon2xx(a.toTag), kProvA);
  expectAllGone();
}

}  // namespace
}  // namespace tg::b2bua::testing
