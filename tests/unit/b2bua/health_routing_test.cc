// Health per address (health.h): a provider found through DNS SRV has several addresses; each is
// pinged and has its own up/down state, the provider is up while any of them is, and calls try
// the addresses that answer first. Here carrier-a resolves (through a fake DNS) to two SRV
// targets, 127.0.0.1:5090 (priority 10) and 127.0.0.3:5090 (priority 20); carrier-b is the
// usual literal 127.0.0.2:5090.

#include <memory>

#include "../trunk/fake_dns.h"
#include "b2bua_test_util.h"
#include "trunk/provider_targets.h"
#include "trunk/target_resolver.h"

namespace tg::b2bua::testing {
namespace {

inline const Peer kProvA2{"carrier-a#2", Zone::kTrunk, "127.0.0.3", 5090};
inline const Peer kProvA3{"carrier-a#3", Zone::kTrunk, "127.0.0.4", 5090};

constexpr const char* kSrvName = "_sip._udp.carrier-a.test";

class HealthRoutingTest : public B2buaTest {
 protected:
  void SetUp() override { startWith(Options{}); }

  void startWith(Options o) {
    if (o.healthIntervalMs == 0) o.healthIntervalMs = 1000;
    start(o);
    // The DNS: carrier-a has two SRV targets, in that order.
    for (const char* name : {"a1.carrier-a.test", "a2.carrier-a.test"}) {
      dns_.set(name, trunk::DnsType::kA, trunk::DnsAnswer{});
    }
    dns_.set(kSrvName, trunk::DnsType::kSrv, trunk::DnsAnswer{});
    dns_.addSrv(kSrvName, {10, 10, 5090, "a1.carrier-a.test"}, 60);
    dns_.addSrv(kSrvName, {20, 10, 5090, "a2.carrier-a.test"}, 60);
    dns_.addIp("a1.carrier-a.test", "127.0.0.1", 60);
    dns_.addIp("a2.carrier-a.test", "127.0.0.3", 60);
    dnsSettings_.naptr = false;
    dnsSettings_.negativeTtl = std::chrono::seconds(0);
    resolver_ = std::make_unique<trunk::TargetResolver>(dns_, clock_, dnsSettings_, 1);
    resolver_->setFamilies(true, false);
    targets_ = std::make_unique<trunk::ProviderTargets>(*resolver_, timers_);
    targets_->setOnChange([this] {
      if (b2b_) b2b_->refreshProviderTargets();
    });
    // carrier-a is looked up by name (SRV); the B2BUA's own config keeps the literal.
    config::Config resolved = *config_;
    resolved.trunk.providers.at(0).target.host = "carrier-a.test";
    resolved.trunk.providers.at(0).target.explicitPort = false;
    targets_->setProviders(resolved);
    dns_.deliver();
    b2b_->setProviderTargets(targets_.get());
    b2b_->startHealthChecks();
    answering_ = {&kPbx, &kProvA, &kProvA2, &kProvB};
    afterStep = [this] {
      dns_.deliver();
      answerPings();
    };
  }

  void TearDown() override {
    B2buaTest::TearDown();  // the B2BUA goes before the targets it refers to
    targets_.reset();
    resolver_.reset();
  }

  const PeerHealth& peer(const std::string& name) const {
    for (const PeerHealth& p : b2b_->health().peers()) {
      if (p.name == name) return p;
    }
    ADD_FAILURE() << "no peer " << name;
    static const PeerHealth none;
    return none;
  }
  const AddressHealth* address(const std::string& name, const Peer& at) const {
    for (const AddressHealth& a : peer(name).addresses) {
      if (a.target.address == at.address()) return &a;
    }
    return nullptr;
  }
  std::vector<std::string> addressesOf(const std::string& name) const {
    std::vector<std::string> out;
    for (const AddressHealth& a : peer(name).addresses) out.push_back(a.target.address.toString());
    return out;
  }
  // `at` refuses the INVITE with 503: returns the INVITE failover then sends to `next`.
  const Sent* refuseThenNext(const Sent* invite, const Peer& at, const Peer& next) {
    const size_t m = mark();
    deliver(calleeFor(invite, at).respond(503), at);
    return lastRequestTo(next, "INVITE", m);
  }
  // Pings go out at 50 ms and then every second; an unanswered one fails 64*T1 (32 s) later,
  // so by now every silent address has failed twice.
  void untilSilentAddressesAreDown() { advance(33200ms); }

  trunk::testing::FakeDns dns_;
  config::DnsSettings dnsSettings_;
  std::unique_ptr<trunk::TargetResolver> resolver_;
  std::unique_ptr<trunk::ProviderTargets> targets_;
};

TEST_F(HealthRoutingTest, EveryAddressOfEveryProviderIsPinged) {
  EXPECT_EQ(addressesOf("carrier-a"),
            (std::vector<std::string>{"127.0.0.1:5090", "127.0.0.3:5090"}));
  EXPECT_EQ(addressesOf("carrier-b"), std::vector<std::string>{"127.0.0.2:5090"});
  EXPECT_EQ(addressesOf("pbx"), std::vector<std::string>{"127.0.0.1:5080"});
  advance(100ms);
  for (const Peer* p : {&kProvA, &kProvA2, &kProvB, &kPbx}) {
    EXPECT_EQ(branchesTo(*p, "OPTIONS").size(), 1u) << p->name;
  }
  advance(1s);
  for (const Peer* p : {&kProvA, &kProvA2, &kProvB, &kPbx}) {
    EXPECT_EQ(branchesTo(*p, "OPTIONS").size(), 2u) << p->name;
  }
  ASSERT_NE(address("carrier-a", kProvA2), nullptr);
  EXPECT_EQ(address("carrier-a", kProvA2)->pingsSent, 2u);
  EXPECT_NE(address("carrier-a", kProvA)->id, address("carrier-a", kProvA2)->id);
}

TEST_F(HealthRoutingTest, ASilentFirstAddressIsDownAloneAndCallsGoStraightToTheSecond) {
  answering_ = {&kPbx, &kProvA2, &kProvB};
  advance(32100ms);
  EXPECT_EQ(address("carrier-a", kProvA)->consecutiveFailures, 1);
  EXPECT_TRUE(address("carrier-a", kProvA)->up) << "one failure is not enough";
  advance(1100ms);
  EXPECT_FALSE(address("carrier-a", kProvA)->up);
  EXPECT_TRUE(address("carrier-a", kProvA2)->up);
  EXPECT_EQ(address("carrier-a", kProvA2)->consecutiveFailures, 0);
  EXPECT_TRUE(peer("carrier-a").up()) << "its second address answers";
  EXPECT_TRUE(b2b_->health().isUp(0));

  // The next call's INVITE goes to the second address at once: no Timer B on the first.
  Caller a = pbxCaller();
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  const Sent* inv = lastRequestTo(kProvA2, "INVITE", m);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->atMs, nowMs());
  EXPECT_TRUE(requestsTo(kProvA, "INVITE", m).empty());
  EXPECT_TRUE(requestsTo(kProvB, "INVITE", m).empty()) << "carrier-a is still up";
  EXPECT_EQ(b2b_->activeCalls().at(0).provider, "carrier-a");
  Callee b = calleeFor(inv, kProvA2);
  EXPECT_NE(calleeSends(a, b, 200, sdp()), nullptr);
  EXPECT_NE(callerAcks(a, kProvA2), nullptr);

  // The first address answers again: it comes first again.
  answering_.push_back(&kProvA);
  advance(1100ms);
  EXPECT_TRUE(address("carrier-a", kProvA)->up);
  EXPECT_EQ(address("carrier-a", kProvA)->consecutiveFailures, 0);
  Caller a2 = pbxCaller("a-call-2@pbx.example.com");
  const size_t m2 = mark();
  deliver(a2.invite(), kPbx);
  EXPECT_NE(lastRequestTo(kProvA, "INVITE", m2), nullptr);
  EXPECT_TRUE(requestsTo(kProvA2, "INVITE", m2).empty());
}

TEST_F(HealthRoutingTest, ADownAddressIsStillTriedAfterTheOnesThatAnswer) {
  answering_ = {&kPbx, &kProvA2, &kProvB};
  untilSilentAddressesAreDown();
  ASSERT_FALSE(address("carrier-a", kProvA)->up);
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a, kProvA2);
  ASSERT_NE(inv, nullptr);
  // The second address refuses: the down first address is next, then carrier-b.
  const Sent* retry = refuseThenNext(inv, kProvA2, kProvA);
  ASSERT_NE(retry, nullptr);
  EXPECT_NE(refuseThenNext(retry, kProvA, kProvB), nullptr);
}

TEST_F(HealthRoutingTest, AProviderWithEveryAddressDownIsSkippedWhileAnotherIsUp) {
  answering_ = {&kPbx, &kProvB};
  untilSilentAddressesAreDown();
  EXPECT_FALSE(address("carrier-a", kProvA)->up);
  EXPECT_FALSE(address("carrier-a", kProvA2)->up);
  EXPECT_FALSE(peer("carrier-a").up());
  EXPECT_TRUE(peer("carrier-b").up());
  Caller a = pbxCaller();
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_NE(lastRequestTo(kProvB, "INVITE", m), nullptr);
  EXPECT_TRUE(requestsTo(kProvA, "INVITE", m).empty());
  EXPECT_TRUE(requestsTo(kProvA2, "INVITE", m).empty());
  EXPECT_EQ(b2b_->activeCalls().at(0).provider, "carrier-b");
}

TEST_F(HealthRoutingTest, WhenEveryProviderIsDownEveryAddressIsTriedInOrder) {
  answering_ = {&kPbx};
  untilSilentAddressesAreDown();
  ASSERT_FALSE(peer("carrier-a").up());
  ASSERT_FALSE(peer("carrier-b").up());
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a, kProvA);
  ASSERT_NE(inv, nullptr);
  const Sent* second = refuseThenNext(inv, kProvA, kProvA2);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(refuseThenNext(second, kProvA2, kProvB), nullptr);
}

TEST_F(HealthRoutingTest, ACallsTimeoutOrTransportErrorMarksTheAddressItWentTo) {
  // One ping round (answered by all), then none for a long while: only calls count.
  Options o;
  o.healthIntervalMs = 3600 * 1000;
  o.failuresBeforeDown = 1;
  startWith(o);
  advance(100ms);
  ASSERT_EQ(branchesTo(kProvA, "OPTIONS").size(), 1u);

  // Timer B on the first address.
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a, kProvA);
  ASSERT_NE(inv, nullptr);
  const size_t m = mark();
  advance(32s + 100ms);
  EXPECT_FALSE(address("carrier-a", kProvA)->up);
  EXPECT_EQ(address("carrier-a", kProvA)->consecutiveFailures, 1);
  EXPECT_TRUE(address("carrier-a", kProvA2)->up);
  EXPECT_EQ(address("carrier-a", kProvA2)->consecutiveFailures, 0);
  const Sent* failover = lastRequestTo(kProvA2, "INVITE", m);
  ASSERT_NE(failover, nullptr);
  Callee b = calleeFor(failover, kProvA2);
  EXPECT_NE(calleeSends(a, b, 180), nullptr);

  // A transport error on the second address (a new call, which tries it first now).
  Caller a2 = pbxCaller("a-call-2@pbx.example.com");
  const Sent* inv2 = sendInvite(a2, kProvA2);
  ASSERT_NE(inv2, nullptr);
  const size_t m2 = mark();
  transport::SendTarget t;
  t.zone = Zone::kTrunk;
  t.transport = config::TransportKind::kUdp;
  t.address = kProvA2.address();
  layer_->onSendError(t);
  EXPECT_FALSE(address("carrier-a", kProvA2)->up);
  EXPECT_EQ(address("carrier-a", kProvA)->consecutiveFailures, 1) << "not counted again";
  EXPECT_FALSE(peer("carrier-a").up());
  // Next came the (down) first address, in the same provider.
  EXPECT_NE(lastRequestTo(kProvA, "INVITE", m2), nullptr);
}

TEST_F(HealthRoutingTest, ADnsChangeKeepsWhatIsKnownOfAddressesStillListed) {
  answering_ = {&kPbx, &kProvA2, &kProvB};
  untilSilentAddressesAreDown();
  ASSERT_FALSE(address("carrier-a", kProvA)->up);
  const uint64_t firstId = address("carrier-a", kProvA)->id;
  const uint64_t pingsToFirst = address("carrier-a", kProvA)->pingsSent;

  // The records change: the second target is gone, a third appears. Picked up at the TTL.
  dns_.set(kSrvName, trunk::DnsType::kSrv, trunk::DnsAnswer{});
  dns_.addSrv(kSrvName, {10, 10, 5090, "a1.carrier-a.test"}, 60);
  dns_.addSrv(kSrvName, {20, 10, 5090, "a3.carrier-a.test"}, 60);
  dns_.addIp("a3.carrier-a.test", "127.0.0.4", 60);
  answering_.push_back(&kProvA3);
  advance(27s);
  ASSERT_EQ(addressesOf("carrier-a"),
            (std::vector<std::string>{"127.0.0.1:5090", "127.0.0.4:5090"}));
  const AddressHealth* first = address("carrier-a", kProvA);
  EXPECT_EQ(first->id, firstId);
  EXPECT_FALSE(first->up) << "still down: its state was kept";
  EXPECT_GT(first->pingsSent, pingsToFirst);
  const AddressHealth* third = address("carrier-a", kProvA3);
  EXPECT_TRUE(third->up);
  EXPECT_GE(third->pingsSent, 1u);
  EXPECT_EQ(address("carrier-a", kProvA2), nullptr);

  // The new address answers: calls go there first.
  Caller a = pbxCaller();
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_NE(lastRequestTo(kProvA3, "INVITE", m), nullptr);
  EXPECT_TRUE(requestsTo(kProvA, "INVITE", m).empty());
  EXPECT_TRUE(requestsTo(kProvA2, "INVITE", m).empty());
}

TEST_F(HealthRoutingTest, AnAnswerToAPingOfADroppedAddressIsIgnored) {
  answering_ = {&kPbx};  // every provider address is silent, and down after 33 s
  advance(59400ms);
  ASSERT_FALSE(peer("carrier-a").up());
  ASSERT_FALSE(peer("carrier-b").up());
  // The last ping to the second address (at 59.05 s) is still waiting for its answer when the
  // DNS refresh (at 60 s) drops that address.
  const Sent* ping = lastRequestTo(kProvA2, "OPTIONS");
  ASSERT_NE(ping, nullptr);
  const std::set<std::string> pings = branchesTo(kProvA2, "OPTIONS");
  dns_.set(kSrvName, trunk::DnsType::kSrv, trunk::DnsAnswer{});
  dns_.addSrv(kSrvName, {10, 10, 5090, "a1.carrier-a.test"}, 60);
  advance(1s);
  ASSERT_EQ(addressesOf("carrier-a"), std::vector<std::string>{"127.0.0.1:5090"});
  EXPECT_EQ(branchesTo(kProvA2, "OPTIONS"), pings) << "no new ping (retransmissions only)";
  deliver(replyTo(*ping->msg, 200, "late"), kProvA2);
  EXPECT_FALSE(address("carrier-a", kProvA)->up);
  EXPECT_FALSE(peer("carrier-a").up());
  EXPECT_FALSE(peer("carrier-b").up());
  EXPECT_TRUE(peer("pbx").up()) << "the PBX answers";
}

}  // namespace
}  // namespace tg::b2bua::testing
