#include "trunk/dns_cache.h"

#include <gtest/gtest.h>

namespace tg::trunk {
namespace {

using std::chrono::seconds;

DnsAnswer srvAnswer(int ttl) {
  DnsAnswer a;
  a.answered = true;
  a.ttl = seconds(ttl);
  a.srv.push_back({10, 10, 5060, "sip1.example.com"});
  return a;
}

TEST(DnsCache, KeepsAnAnswerForItsTtl) {
  base::ManualClock clock;
  DnsCache cache(clock, seconds(5), seconds(30));
  cache.store("_sip._udp.example.com", DnsType::kSrv, srvAnswer(60));
  clock.advance(seconds(59));
  ASSERT_NE(cache.find("_SIP._udp.Example.com", DnsType::kSrv), nullptr);  // case-insensitive
  EXPECT_EQ(cache.find("_sip._udp.example.com", DnsType::kA), nullptr);    // per type
  clock.advance(seconds(1));
  EXPECT_EQ(cache.find("_sip._udp.example.com", DnsType::kSrv), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DnsCache, TinyTtlsAreRaisedToTheFloor) {
  base::ManualClock clock;
  DnsCache cache(clock, seconds(5), seconds(30));
  cache.store("x", DnsType::kSrv, srvAnswer(0));
  clock.advance(seconds(4));
  EXPECT_NE(cache.find("x", DnsType::kSrv), nullptr);
  clock.advance(seconds(1));
  EXPECT_EQ(cache.find("x", DnsType::kSrv), nullptr);
}

TEST(DnsCache, FailuresAndEmptyAnswersUseTheNegativeTtl) {
  base::ManualClock clock;
  DnsCache cache(clock, seconds(5), seconds(30));
  DnsAnswer timeout;
  timeout.error = "Timeout while contacting DNS servers";
  cache.store("down", DnsType::kA, timeout);
  DnsAnswer nx;
  nx.answered = true;
  nx.ttl = seconds(3600);  // ignored for an empty answer
  cache.store("nx", DnsType::kA, nx);
  clock.advance(seconds(29));
  EXPECT_NE(cache.find("down", DnsType::kA), nullptr);
  EXPECT_NE(cache.find("nx", DnsType::kA), nullptr);
  clock.advance(seconds(1));
  EXPECT_EQ(cache.find("down", DnsType::kA), nullptr);
  EXPECT_EQ(cache.find("nx", DnsType::kA), nullptr);
}

TEST(DnsCache, ZeroNegativeTtlStoresNoFailure) {
  base::ManualClock clock;
  DnsCache cache(clock, seconds(5), seconds(0));
  cache.store("down", DnsType::kA, DnsAnswer{});
  EXPECT_EQ(cache.find("down", DnsType::kA), nullptr);
}

}  // namespace
}  // namespace tg::trunk
