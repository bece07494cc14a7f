// Folding security events into alerts on a manual clock: the first event of a (rule, source)
// alerts at once, its repeats come as one summary with their count when the window ends, and
// the rate limit folds the rest into one overflow alert.

#include "app/alerts/alert_folding.h"

#include <gtest/gtest.h>

namespace tg::app::alerts {
namespace {

AlertEvent event(std::string rule, std::string source, int64_t ms) {
  return {std::move(rule), "public", std::move(source), "why", "drop", ms};
}

TEST(AlertFolding, AFloodOfOneSourceGivesOneAlertAndOneSummaryWithTheCount) {
  AlertFolding f(10'000, 100);
  int64_t now = 1'000'000;
  const auto first = f.offer(event("auth.lockout", "192.0.2.7", now), now);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].count, 1u);
  EXPECT_FALSE(first[0].summary);
  for (int i = 1; i <= 999; ++i) {
    EXPECT_TRUE(f.offer(event("auth.lockout", "192.0.2.7", now + i), now + i).empty());
  }
  EXPECT_TRUE(f.tick(now + 9'999).empty());
  const auto summary = f.tick(now + 10'000);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_TRUE(summary[0].summary);
  EXPECT_EQ(summary[0].count, 999u);
  EXPECT_EQ(summary[0].firstMs, now + 1);
  EXPECT_EQ(summary[0].lastMs, now + 999);
  EXPECT_EQ(f.keys(), 0u);
  EXPECT_TRUE(f.tick(now + 20'000).empty());
}

TEST(AlertFolding, OtherSourcesAndRulesAlertOnTheirOwn) {
  AlertFolding f(10'000, 100);
  EXPECT_EQ(f.offer(event("auth.lockout", "192.0.2.7", 0), 0).size(), 1u);
  EXPECT_EQ(f.offer(event("auth.lockout", "192.0.2.8", 1), 1).size(), 1u);
  EXPECT_EQ(f.offer(event("fraud.wangiri", "192.0.2.7", 2), 2).size(), 1u);
  // A quiet window: the key is forgotten without a summary, the next event alerts again.
  EXPECT_TRUE(f.tick(10'001).empty());
  EXPECT_EQ(f.offer(event("auth.lockout", "192.0.2.7", 10'002), 10'002).size(), 1u);
}

TEST(AlertFolding, TheRateLimitFoldsTheRestIntoOneOverflowAlert) {
  AlertFolding f(60'000, 3);
  int sent = 0;
  for (int i = 0; i < 50; ++i) {
    sent += static_cast<int>(f.offer(event("ban", "198.51.100." + std::to_string(i), i), i).size());
  }
  EXPECT_EQ(sent, 3);
  EXPECT_TRUE(f.tick(100).empty());            // no token yet
  const auto overflow = f.tick(100 + 20'000);  // one token back after 20 s at 3 a minute
  ASSERT_EQ(overflow.size(), 1u);
  EXPECT_EQ(overflow[0].event.rule, "alerts.overflow");
  EXPECT_EQ(overflow[0].count, 47u);
  EXPECT_NE(overflow[0].event.reason.find("ban"), std::string::npos);
}

TEST(AlertFolding, KeysAreCapped) {
  AlertFolding f(60'000, 1000, 2);
  EXPECT_EQ(f.offer(event("ban", "a", 0), 0).size(), 1u);
  EXPECT_EQ(f.offer(event("ban", "b", 0), 0).size(), 1u);
  EXPECT_TRUE(f.offer(event("ban", "c", 0), 0).empty());
  EXPECT_EQ(f.keys(), 2u);
  const auto out = f.tick(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].event.rule, "alerts.overflow");
  EXPECT_EQ(out[0].count, 1u);
}

}  // namespace
}  // namespace tg::app::alerts
