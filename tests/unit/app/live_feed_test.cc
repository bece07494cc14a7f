// The dashboard's live feed: series values from two snapshots, the bounded number of stream
// clients, each client given every new tick once, and stop() waking the waiting clients.

#include "app/admin_api/live_feed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace tg::app::admin_api {
namespace {

double valueOf(const std::vector<double>& values, const std::string& name) {
  const auto& names = dashboardSeriesNames();
  const size_t i = std::find(names.begin(), names.end(), name) - names.begin();
  EXPECT_LT(i, names.size()) << name;
  return i < values.size() ? values[i] : -1;
}

TEST(DashboardSeries, RatesFromCounterDifferencesAndTheTotalOfTheBlocks) {
  ServerSnapshot before;
  ServerSnapshot now;
  now.activeCalls = 4;
  before.calls.callsStarted = 10;
  now.calls.callsStarted = 30;
  now.guard.bannedDrops = 6;
  now.filters[guard::FilterId::kScanner].blocked = 8;
  now.calls.policyRejected = 2;
  const std::vector<double> v = dashboardSeriesValues(before, now, 2.0);
  ASSERT_EQ(v.size(), dashboardSeriesNames().size());
  EXPECT_EQ(valueOf(v, "calls_now"), 4);
  EXPECT_EQ(valueOf(v, "calls_per_s"), 10);
  EXPECT_EQ(valueOf(v, "blocked_banned"), 3);
  EXPECT_EQ(valueOf(v, "blocked_scanner"), 4);
  EXPECT_EQ(valueOf(v, "blocked_policy"), 1);
  EXPECT_EQ(valueOf(v, "blocked_per_s"), 8);
}

TEST(DashboardSeries, ACounterThatWentBackCountsAsZero) {
  ServerSnapshot before;
  ServerSnapshot now;
  before.calls.callsStarted = 50;
  now.calls.callsStarted = 3;
  EXPECT_EQ(valueOf(dashboardSeriesValues(before, now, 1.0), "calls_per_s"), 0);
}

class LiveFeedTest : public ::testing::Test {
 protected:
  LiveFeedTest() : feed_([this] { return facts_; }, 2, [this] { return ++clock_; }) {}
  StatusFacts facts_;
  int64_t clock_ = 1000;
  LiveFeed feed_;
};

TEST_F(LiveFeedTest, SamplesGoToTheRingAndToEachClientOnce) {
  auto client = feed_.subscribe();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(feed_.next(*client, std::chrono::milliseconds(0)), std::string());  // nothing yet
  facts_.snapshot.activeCalls = 2;
  facts_.bans = 5;
  feed_.sampleOnce();
  const std::optional<std::string> tick = feed_.next(*client, std::chrono::milliseconds(0));
  ASSERT_TRUE(tick.has_value());
  EXPECT_TRUE(tick->starts_with("id: 1\nevent: tick\ndata: {")) << *tick;
  EXPECT_TRUE(tick->ends_with("}\n\n")) << *tick;
  const nlohmann::json data = nlohmann::json::parse(tick->substr(tick->find('{')));
  EXPECT_EQ(data["time"], 1001);
  EXPECT_EQ(data["bans"], 5);
  EXPECT_EQ(data["series"]["calls_now"], 2);
  // The same tick is not given twice.
  EXPECT_EQ(feed_.next(*client, std::chrono::milliseconds(0)), std::string());
  EXPECT_EQ(feed_.series().json(SeriesRing::Step::kSecond, 0)["series"]["calls_now"],
            nlohmann::json({2.0}));
}

TEST_F(LiveFeedTest, TheNumberOfClientsIsBounded) {
  auto a = feed_.subscribe();
  auto b = feed_.subscribe();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(feed_.subscribe(), nullptr);
  EXPECT_EQ(feed_.clients(), 2u);
  a.reset();
  EXPECT_EQ(feed_.clients(), 1u);
  EXPECT_NE(feed_.subscribe(), nullptr);
}

TEST_F(LiveFeedTest, StopWakesAWaitingClient) {
  auto client = feed_.subscribe();
  std::optional<std::string> got = "unset";
  std::thread waiter([&] { got = feed_.next(*client, std::chrono::seconds(30)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto before = std::chrono::steady_clock::now();
  feed_.stop();
  waiter.join();
  EXPECT_FALSE(got.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
  EXPECT_EQ(feed_.subscribe(), nullptr);  // stopped: no new clients
}

}  // namespace
}  // namespace tg::app::admin_api
