// Each guard filter keeps its own counters (passed, blocked, shadow-blocked): counted where the
// guard runs it, kept across a reload that rebuilds the filters, and summed over workers.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "../config/config_test_util.h"
#include "config/config_loader.h"
#include "guard/guard.h"

namespace tg::guard {
namespace {

const std::string kConfig = config::kMinimalConfig;

config::ConfigPtr loadConfig(const std::string& extra = "") {
  const config::LoadResult r = config::loadConfigString(std::string(kConfig) + extra, "t.yaml");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  return r.config;
}

transport::Packet stunFrom(std::string_view ip, base::TimePoint at) {
  transport::Packet p;
  p.source = *base::Address::parse(ip, 5060);
  p.transport = config::TransportKind::kUdp;
  p.zone = transport::Zone::kPublic;
  p.received = at;
  return p;
}

TEST(FilterCounters, NamedAsInConfig) {
  EXPECT_EQ(filterName(FilterId::kOverload), "overload");
  EXPECT_EQ(filterName(FilterId::kScanner), "scanner");
  EXPECT_EQ(filterName(FilterId::kRateLimit), "ratelimit");
}

// Keep-alives are judged by the rate limit alone: its counters move, no other filter's.
TEST(FilterCounters, TheRateLimitCountsKeepAlivesItPassesAndBlocks) {
  base::ManualClock clock;
  const config::ConfigPtr config =
      loadConfig("guard: { rate_limit: { public: { per_source: { options: 2 } } } }\n");
  BanList bans(clock, BanPolicy::from(config->guard.bans));
  Guard guard(config, nullptr, bans, nullptr, clock);
  int admitted = 0;
  for (int i = 0; i < 5; ++i)
    admitted += guard.admitKeepAlive(stunFrom("198.51.100.7", clock.now()));
  const FilterStats& limit = guard.filterStats()[FilterId::kRateLimit];
  EXPECT_EQ(limit.passed, static_cast<uint64_t>(admitted));
  EXPECT_GT(limit.blocked, 0u);
  EXPECT_EQ(limit.passed + limit.blocked, 5u);
  EXPECT_EQ(guard.filterStats()[FilterId::kScanner].passed, 0u);
  EXPECT_EQ(guard.filterStats()[FilterId::kOverload].passed, 0u);

  // A reload rebuilds the filters; their counters stay (they count since the start).
  const FilterStats before = limit;
  guard.updateConfig(loadConfig(), nullptr);
  EXPECT_EQ(guard.filterStats()[FilterId::kRateLimit].passed, before.passed);
  EXPECT_EQ(guard.filterStats()[FilterId::kRateLimit].blocked, before.blocked);
}

TEST(FilterCounters, TablesAddFilterByFilter) {
  FilterStatsTable a;
  FilterStatsTable b;
  a[FilterId::kScanner].blocked = 2;
  b[FilterId::kScanner].blocked = 3;
  b[FilterId::kOverload].shadowBlocked = 1;
  a += b;
  EXPECT_EQ(a[FilterId::kScanner].blocked, 5u);
  EXPECT_EQ(a[FilterId::kOverload].shadowBlocked, 1u);
  EXPECT_EQ(a[FilterId::kRateLimit].passed, 0u);
}

}  // namespace
}  // namespace tg::guard
