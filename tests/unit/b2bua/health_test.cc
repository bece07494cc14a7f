// Peer health (health.h): OPTIONS pings to every peer, down after N unanswered pings in a row,
// up at the first answer; new calls skip a down provider while another is up.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class HealthTest : public B2buaTest {
 protected:
  void SetUp() override {
    Options o;
    o.healthIntervalMs = 1000;
    o.failuresBeforeDown = 2;
    start(o);
    b2b_->startHealthChecks();
    // Peers that answer pings: the PBX and provider B (provider A is silent unless told).
    answering_ = {&kPbx, &kProvB};
    afterStep = [this] { answerPings(); };
  }

  size_t indexOf(const std::string& name) const {
    const auto& peers = b2b_->health().peers();
    for (size_t i = 0; i < peers.size(); ++i) {
      if (peers[i].name == name) return i;
    }
    ADD_FAILURE() << "no peer " << name;
    return 0;
  }
  const PeerHealth& peer(const std::string& name) const {
    return b2b_->health().peers()[indexOf(name)];
  }
  // The peers here have one address each.
  const AddressHealth& address(const std::string& name) const {
    const PeerHealth& p = peer(name);
    EXPECT_EQ(p.addresses.size(), 1u) << name;
    return p.addresses.at(0);
  }
};

TEST_F(HealthTest, PingsGoToEveryPeer) {
  const auto& peers = b2b_->health().peers();
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_TRUE(peers[0].up() && peers[1].up() && peers[2].up()) << "optimistic at start";
  advance(100ms);
  for (const Peer* p : {&kProvA, &kProvB, &kPbx}) {
    auto pings = requestsTo(*p, "OPTIONS");
    ASSERT_EQ(pings.size(), 1u) << p->name;
    const Sent& ping = *pings[0];
    EXPECT_EQ(std::string(ping.msg->requestUriText()), "sip:" + p->hostPort());
    EXPECT_EQ(ping.header(HeaderId::kCSeq), "1 OPTIONS");
    EXPECT_EQ(ping.msg->maxForwards(), std::optional<uint32_t>(70));
    EXPECT_FALSE(ping.fromTag().empty());
    const std::string& listener = p->zone == Zone::kPbx ? kPbxListener : kTrunkListener;
    EXPECT_EQ(ping.header(HeaderId::kVia).rfind("SIP/2.0/UDP " + listener + ";", 0), 0u);
    EXPECT_EQ(ping.target.zone, p->zone);
  }
  advance(1s);
  for (const Peer* p : {&kProvA, &kProvB, &kPbx}) {
    EXPECT_EQ(branchesTo(*p, "OPTIONS").size(), 2u) << p->name;
  }
  EXPECT_EQ(address("carrier-a").pingsSent, 2u);
  EXPECT_EQ(address("pbx").pingsSent, 2u);
  // Health pings never touch the call tables.
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(b2b_->dialogIndexSize(), 0u);
}

TEST_F(HealthTest, SilentProviderGoesDownAfterTheConfiguredFailures) {
  // Ping 1 at 50 ms times out at 50 + 64*T1; ping 2 at 1050 ms one second later.
  advance(32100ms);
  EXPECT_EQ(address("carrier-a").consecutiveFailures, 1);
  EXPECT_TRUE(peer("carrier-a").up()) << "one failure is not enough";
  advance(1000ms);
  EXPECT_GE(address("carrier-a").consecutiveFailures, 2);
  EXPECT_FALSE(peer("carrier-a").up());
  EXPECT_TRUE(peer("carrier-b").up());
  EXPECT_TRUE(peer("pbx").up());
  EXPECT_EQ(address("carrier-b").consecutiveFailures, 0);
}

TEST_F(HealthTest, NewCallsSkipADownProviderWhileAnotherIsUp) {
  advance(33200ms);
  ASSERT_FALSE(peer("carrier-a").up());
  Caller a = pbxCaller();
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_NE(lastRequestTo(kProvB, "INVITE", m), nullptr) << "provider B, though lower priority";
  EXPECT_TRUE(requestsTo(kProvA, "INVITE", m).empty());
  EXPECT_EQ(b2b_->activeCalls().at(0).provider, "carrier-b");
}

TEST_F(HealthTest, AnAnswerMarksThePeerUpAgain) {
  advance(33200ms);
  ASSERT_FALSE(peer("carrier-a").up());
  // Provider A comes back and answers the next ping.
  answering_.push_back(&kProvA);
  advance(1100ms);
  EXPECT_TRUE(peer("carrier-a").up());
  EXPECT_EQ(address("carrier-a").consecutiveFailures, 0);
  Caller a = pbxCaller();
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_NE(lastRequestTo(kProvA, "INVITE", m), nullptr);
  EXPECT_TRUE(requestsTo(kProvB, "INVITE", m).empty());
}

TEST_F(HealthTest, WhenEveryProviderIsDownCallsStillTryThemInOrder) {
  answering_ = {&kPbx};
  advance(33200ms);
  ASSERT_FALSE(peer("carrier-a").up());
  ASSERT_FALSE(peer("carrier-b").up());
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a, kProvA);
  ASSERT_NE(inv, nullptr);
  const size_t m = mark();
  deliver(calleeFor(inv).respond(503), kProvA);
  EXPECT_NE(lastRequestTo(kProvB, "INVITE", m), nullptr);
}

TEST_F(HealthTest, CallTrafficFromAProviderProvesItAlive) {
  advance(32100ms);
  ASSERT_EQ(address("carrier-a").consecutiveFailures, 1);
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a, kProvA);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  EXPECT_EQ(address("carrier-a").consecutiveFailures, 0);
  EXPECT_TRUE(peer("carrier-a").up());
}

}  // namespace
}  // namespace tg::b2bua::testing
