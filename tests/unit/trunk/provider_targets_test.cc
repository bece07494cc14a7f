#include "trunk/provider_targets.h"

#include <gtest/gtest.h>

#include "fake_dns.h"

namespace tg::trunk {
namespace {

using std::chrono::seconds;
using testing::FakeDns;

config::ConfigPtr twoProviders() {
  auto c = std::make_shared<config::Config>();
  config::Provider named;
  named.name = "named";
  named.target.host = "carrier.test";
  named.target.port = 5060;
  c->trunk.providers.push_back(named);
  config::Provider literal;
  literal.name = "literal";
  literal.target.host = "192.0.2.50";
  literal.target.port = 5070;
  c->trunk.providers.push_back(literal);
  return c;
}

std::vector<std::string> addresses(const std::vector<transport::SendTarget>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) out.push_back(t.address.toString());
  return out;
}

class ProviderTargetsTest : public ::testing::Test {
 protected:
  ProviderTargetsTest() : timers_(clock_) {
    settings_.naptr = false;
    settings_.negativeTtl = seconds(0);
    resolver_ = std::make_unique<TargetResolver>(dns_, clock_, settings_, 1);
    resolver_->setFamilies(true, false);
    targets_ = std::make_unique<ProviderTargets>(*resolver_, timers_);
    targets_->setOnChange([this] { ++changes_; });
  }
  void advance(base::Duration d) {
    clock_.advance(d);
    timers_.runDue();
    dns_.deliver();
  }

  base::ManualClock clock_;
  base::TimerQueue timers_;
  FakeDns dns_;
  config::DnsSettings settings_;
  std::unique_ptr<TargetResolver> resolver_;
  std::unique_ptr<ProviderTargets> targets_;
  int changes_ = 0;
};

TEST_F(ProviderTargetsTest, ResolvesEveryProviderAndRefreshesAtTtl) {
  dns_.addSrv("_sip._udp.carrier.test", {10, 10, 5080, "a.carrier.test"}, 60);
  dns_.addIp("a.carrier.test", "192.0.2.1", 60);
  targets_->setProviders(*twoProviders());
  EXPECT_EQ(addresses(targets_->targetsOf("literal")), std::vector<std::string>{"192.0.2.50:5070"});
  EXPECT_TRUE(targets_->targetsOf("named").empty());  // the lookup is still out
  dns_.deliver();
  EXPECT_EQ(addresses(targets_->targetsOf("named")), std::vector<std::string>{"192.0.2.1:5080"});
  EXPECT_EQ(changes_, 2);
  EXPECT_TRUE(targets_->targetsOf("unknown").empty());

  // The records change; the new address is picked up when the TTL runs out.
  dns_.set("a.carrier.test", DnsType::kA, DnsAnswer{});
  dns_.addIp("a.carrier.test", "192.0.2.2", 60);
  advance(seconds(59));
  EXPECT_EQ(addresses(targets_->targetsOf("named")), std::vector<std::string>{"192.0.2.1:5080"});
  advance(seconds(1));
  EXPECT_EQ(addresses(targets_->targetsOf("named")), std::vector<std::string>{"192.0.2.2:5080"});
  EXPECT_EQ(changes_, 3);
}

TEST_F(ProviderTargetsTest, FailedRefreshKeepsTheLastGoodAddresses) {
  dns_.addSrv("_sip._udp.carrier.test", {10, 10, 5080, "a.carrier.test"}, 30);
  dns_.addIp("a.carrier.test", "192.0.2.1", 30);
  targets_->setProviders(*twoProviders());
  dns_.deliver();
  dns_.fail("_sip._udp.carrier.test", DnsType::kSrv);
  dns_.fail("carrier.test", DnsType::kA);
  advance(seconds(30));
  EXPECT_EQ(addresses(targets_->targetsOf("named")), std::vector<std::string>{"192.0.2.1:5080"});
  const int asked = dns_.queries();
  advance(seconds(10));  // retried soon after a failure
  EXPECT_GT(dns_.queries(), asked);
}

}  // namespace
}  // namespace tg::trunk
