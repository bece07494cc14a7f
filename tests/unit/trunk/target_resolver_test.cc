#include "trunk/target_resolver.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "fake_dns.h"

namespace tg::trunk {
namespace {

using std::chrono::seconds;
using testing::FakeDns;

config::PeerTarget peer(std::string host, config::TransportKind t = config::TransportKind::kUdp,
                        uint16_t port = 0) {
  config::PeerTarget p;
  p.host = std::move(host);
  p.transport = t;
  p.port = port != 0 ? port : (t == config::TransportKind::kTls ? 5061 : 5060);
  p.explicitPort = port != 0;
  return p;
}

std::vector<std::string> addresses(const Resolution& r) {
  std::vector<std::string> out;
  for (const auto& t : r.targets) out.push_back(t.address.toString());
  return out;
}

class TargetResolverTest : public ::testing::Test {
 protected:
  TargetResolverTest() { settings_.naptr = false; }
  Resolution resolve(const config::PeerTarget& p) {
    Resolution out;
    bool called = false;
    resolver().resolve(p, transport::Zone::kTrunk, [&](Resolution r) {
      out = std::move(r);
      called = true;
    });
    dns_.deliver();
    EXPECT_TRUE(called);
    return out;
  }
  TargetResolver& resolver() {
    if (!resolver_) resolver_ = std::make_unique<TargetResolver>(dns_, clock_, settings_, 1);
    return *resolver_;
  }

  base::ManualClock clock_;
  FakeDns dns_;
  config::DnsSettings settings_;
  std::unique_ptr<TargetResolver> resolver_;
};

TEST_F(TargetResolverTest, IpLiteralNeedsNoDns) {
  bool immediate = false;
  resolver().resolve(peer("192.0.2.7", config::TransportKind::kUdp, 5080), transport::Zone::kTrunk,
                     [&](Resolution r) {
                       immediate = true;
                       EXPECT_EQ(addresses(r), std::vector<std::string>{"192.0.2.7:5080"});
                       EXPECT_EQ(r.ttl, base::Duration::max());
                       EXPECT_EQ(r.targets[0].zone, transport::Zone::kTrunk);
                     });
  EXPECT_TRUE(immediate);
  EXPECT_EQ(dns_.queries(), 0);
}

TEST_F(TargetResolverTest, ExplicitPortSkipsSrv) {
  dns_.addIp("sip.carrier.test", "192.0.2.10");
  dns_.addSrv("_sip._udp.sip.carrier.test", {10, 10, 5099, "other.carrier.test"});
  const Resolution r = resolve(peer("sip.carrier.test", config::TransportKind::kUdp, 5070));
  EXPECT_EQ(addresses(r), std::vector<std::string>{"192.0.2.10:5070"});
  for (const std::string& q : dns_.asked()) EXPECT_EQ(q.rfind("SRV", 0), std::string::npos) << q;
}

TEST_F(TargetResolverTest, SrvTargetsInPriorityOrderWithTheirPorts) {
  dns_.addSrv("_sip._udp.carrier.test", {20, 10, 5070, "backup.carrier.test"});
  dns_.addSrv("_sip._udp.carrier.test", {10, 10, 5080, "main.carrier.test"});
  dns_.addIp("main.carrier.test", "192.0.2.1");
  dns_.addIp("main.carrier.test", "192.0.2.2");
  dns_.addIp("backup.carrier.test", "198.51.100.1");
  const Resolution r = resolve(peer("carrier.test"));
  EXPECT_EQ(addresses(r),
            (std::vector<std::string>{"192.0.2.1:5080", "192.0.2.2:5080", "198.51.100.1:5070"}));
  EXPECT_TRUE(r.error.empty());
}

TEST_F(TargetResolverTest, SrvNameFollowsTheTransport) {
  EXPECT_EQ(TargetResolver::srvName("x.test", config::TransportKind::kTls), "_sips._tcp.x.test");
  EXPECT_EQ(TargetResolver::srvName("x.test", config::TransportKind::kTcp), "_sip._tcp.x.test");
  EXPECT_EQ(TargetResolver::srvName("x.test", config::TransportKind::kUdp), "_sip._udp.x.test");
  dns_.addSrv("_sips._tcp.carrier.test", {10, 10, 5061, "tls.carrier.test"});
  dns_.addIp("tls.carrier.test", "192.0.2.5");
  const Resolution r = resolve(peer("carrier.test", config::TransportKind::kTls));
  EXPECT_EQ(addresses(r), std::vector<std::string>{"192.0.2.5:5061"});
  EXPECT_EQ(r.targets[0].transport, config::TransportKind::kTls);
}

TEST_F(TargetResolverTest, WithoutSrvTheHostsOwnAddressAndDefaultPort) {
  dns_.addIp("carrier.test", "192.0.2.9");
  dns_.addIp("carrier.test", "2001:db8::9");
  const Resolution r = resolve(peer("carrier.test"));
  EXPECT_EQ(addresses(r), (std::vector<std::string>{"192.0.2.9:5060", "[2001:db8::9]:5060"}));
}

TEST_F(TargetResolverTest, UnwantedFamiliesAreNotAskedFor) {
  resolver().setFamilies(true, false);
  dns_.addIp("carrier.test", "192.0.2.9");
  dns_.addIp("carrier.test", "2001:db8::9");
  const Resolution r = resolve(peer("carrier.test"));
  EXPECT_EQ(addresses(r), std::vector<std::string>{"192.0.2.9:5060"});
  for (const std::string& q : dns_.asked()) EXPECT_NE(q.rfind("AAAA", 0), 0u) << q;
}

TEST_F(TargetResolverTest, NaptrNamesTheSrvRecord) {
  settings_.naptr = true;
  DnsAnswer naptr;
  naptr.answered = true;
  naptr.ttl = seconds(600);
  naptr.naptr.push_back({10, 10, "s", "SIP+D2T", "_sip._tcp.elsewhere.test"});
  naptr.naptr.push_back({20, 10, "s", "SIP+D2U", "_sip._udp.elsewhere.test"});
  dns_.set("carrier.test", DnsType::kNaptr, naptr);
  dns_.addSrv("_sip._udp.elsewhere.test", {10, 10, 5090, "edge.elsewhere.test"});
  dns_.addIp("edge.elsewhere.test", "203.0.113.4");
  const Resolution r = resolve(peer("carrier.test"));  // udp: the SIP+D2U record applies
  EXPECT_EQ(addresses(r), std::vector<std::string>{"203.0.113.4:5090"});
}

TEST_F(TargetResolverTest, NaptrFailureFallsBackToTheUsualSrvName) {
  settings_.naptr = true;
  dns_.fail("carrier.test", DnsType::kNaptr);
  dns_.addSrv("_sip._udp.carrier.test", {10, 10, 5080, "main.carrier.test"});
  dns_.addIp("main.carrier.test", "192.0.2.1");
  EXPECT_EQ(addresses(resolve(peer("carrier.test"))), std::vector<std::string>{"192.0.2.1:5080"});
}

TEST_F(TargetResolverTest, AnswersAreCachedForTheirTtl) {
  settings_.negativeTtl = seconds(300);  // the empty AAAA answer outlives the test
  dns_.addSrv("_sip._udp.carrier.test", {10, 10, 5080, "main.carrier.test"}, 120);
  dns_.addIp("main.carrier.test", "192.0.2.1", 60);
  Resolution r = resolve(peer("carrier.test"));
  EXPECT_EQ(r.ttl, seconds(60));  // the smallest TTL of the chain
  const int asked = dns_.queries();
  clock_.advance(seconds(59));
  r = resolve(peer("carrier.test"));
  EXPECT_EQ(dns_.queries(), asked);  // all from the cache
  EXPECT_EQ(addresses(r), std::vector<std::string>{"192.0.2.1:5080"});
  clock_.advance(seconds(1));
  resolve(peer("carrier.test"));
  EXPECT_GT(dns_.queries(), asked);  // the A records expired
}

TEST_F(TargetResolverTest, UnresolvableNameSaysWhy) {
  dns_.fail("gone.test", DnsType::kA);
  dns_.fail("gone.test", DnsType::kAaaa);
  const Resolution r = resolve(peer("gone.test", config::TransportKind::kUdp, 5060));
  EXPECT_TRUE(r.targets.empty());
  EXPECT_NE(r.error.find("gone.test"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("Timeout"), std::string::npos) << r.error;
}

TEST_F(TargetResolverTest, SrvTargetWithoutAddressIsSkipped) {
  dns_.addSrv("_sip._udp.carrier.test", {10, 10, 5080, "dead.carrier.test"});
  dns_.addSrv("_sip._udp.carrier.test", {20, 10, 5070, "alive.carrier.test"});
  dns_.addIp("alive.carrier.test", "192.0.2.3");
  EXPECT_EQ(addresses(resolve(peer("carrier.test"))), std::vector<std::string>{"192.0.2.3:5070"});
}

}  // namespace
}  // namespace tg::trunk
