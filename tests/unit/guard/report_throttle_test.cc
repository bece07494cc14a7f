#include "guard/common/report_throttle.h"

#include <gtest/gtest.h>

#include "../common/test_helpers.h"

namespace tg::guard {
namespace {

using std::chrono::seconds;
using tg::testing::addr;

TEST(ReportThrottleTest, OneReportPerSourcePerIntervalWithTheCountHeldBack) {
  ReportThrottle t;
  base::ManualClock clock;
  const auto first = t.admit(addr("203.0.113.5", 5060), clock.now(), seconds(60));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 0u);
  // Another port of the same address is the same source.
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(
        t.admit(addr("203.0.113.5", static_cast<uint16_t>(6000 + i)), clock.now(), seconds(60)));
  }
  // Another source is reported at once.
  EXPECT_TRUE(t.admit(addr("203.0.113.6", 5060), clock.now(), seconds(60)).has_value());
  clock.advance(seconds(61));
  const auto next = t.admit(addr("203.0.113.5", 5060), clock.now(), seconds(60));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, 5u);
  EXPECT_FALSE(t.admit(addr("203.0.113.5", 5060), clock.now(), seconds(60)));
}

}  // namespace
}  // namespace tg::guard
