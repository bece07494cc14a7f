#include "trunk/srv_order.h"

#include <gtest/gtest.h>

#include <map>

namespace tg::trunk {
namespace {

TEST(SrvOrder, LowerPriorityAlwaysFirst) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    auto out = orderSrv(
        {{20, 100, 5060, "c"}, {10, 1, 5060, "a"}, {30, 0, 5060, "d"}, {10, 1, 5060, "b"}}, rng);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].priority, 10);
    EXPECT_EQ(out[1].priority, 10);
    EXPECT_EQ(out[2].target, "c");
    EXPECT_EQ(out[3].target, "d");
  }
}

TEST(SrvOrder, WeightsSetHowOftenATargetComesFirst) {
  std::mt19937_64 rng(42);  // seeded: the test is deterministic
  std::map<std::string, int> first;
  constexpr int kRuns = 20000;
  for (int i = 0; i < kRuns; ++i) {
    auto out = orderSrv({{10, 60, 5060, "a"}, {10, 30, 5060, "b"}, {10, 10, 5060, "c"}}, rng);
    ASSERT_EQ(out.size(), 3u);
    ++first[out[0].target];
  }
  // Expected shares 60/30/10 (RFC 2782); the draw is over [0, sum], so allow a little slack.
  EXPECT_NEAR(first["a"] / double(kRuns), 0.60, 0.02);
  EXPECT_NEAR(first["b"] / double(kRuns), 0.30, 0.02);
  EXPECT_NEAR(first["c"] / double(kRuns), 0.10, 0.02);
}

TEST(SrvOrder, ZeroWeightIsRarelyFirstButNeverLost) {
  std::mt19937_64 rng(7);
  int zeroFirst = 0;
  for (int i = 0; i < 10000; ++i) {
    auto out = orderSrv({{10, 0, 5060, "zero"}, {10, 100, 5060, "heavy"}}, rng);
    ASSERT_EQ(out.size(), 2u);
    if (out[0].target == "zero") ++zeroFirst;
  }
  EXPECT_GT(zeroFirst, 0);    // a draw of exactly 0 picks it
  EXPECT_LT(zeroFirst, 300);  // ~1/101 of the time
}

TEST(SrvOrder, SameSeedSameOrder) {
  std::vector<SrvRecord> in = {{1, 5, 1, "a"}, {1, 5, 2, "b"}, {1, 5, 3, "c"}, {1, 5, 4, "d"}};
  std::mt19937_64 r1(99);
  std::mt19937_64 r2(99);
  auto a = orderSrv(in, r1);
  auto b = orderSrv(in, r2);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].target, b[i].target);
}

}  // namespace
}  // namespace tg::trunk
