// The dashboard's series rings: per-second points for the last hour, per-minute averages for
// the last day, bounded, ordered, and filtered by `since`.

#include "app/admin_api/series_ring.h"

#include <gtest/gtest.h>

#include <array>

namespace tg::app::admin_api {
namespace {

TEST(SeriesRing, SecondsComeBackAsColumnsOldestFirst) {
  SeriesRing ring({"a", "b"}, 10, 10);
  const std::array<double, 2> v1{1, 10}, v2{2, 20};
  ring.add(1000, v1);
  ring.add(1001, v2);
  const nlohmann::json j = ring.json(SeriesRing::Step::kSecond, 0);
  EXPECT_EQ(j["step"], 1);
  EXPECT_EQ(j["time"], nlohmann::json({1000, 1001}));
  EXPECT_EQ(j["series"]["a"], nlohmann::json({1.0, 2.0}));
  EXPECT_EQ(j["series"]["b"], nlohmann::json({10.0, 20.0}));
}

TEST(SeriesRing, KeepsOnlyItsCapacityAndHonoursSince) {
  SeriesRing ring({"a"}, 3, 3);
  for (int t = 0; t < 7; ++t) {
    const std::array<double, 1> v{static_cast<double>(t)};
    ring.add(100 + t, v);
  }
  EXPECT_EQ(ring.json(SeriesRing::Step::kSecond, 0)["time"], nlohmann::json({104, 105, 106}));
  EXPECT_EQ(ring.json(SeriesRing::Step::kSecond, 105)["series"]["a"], nlohmann::json({5.0, 6.0}));
}

TEST(SeriesRing, AFinishedMinuteBecomesItsAverage) {
  SeriesRing ring({"a"}, 200, 10);
  for (int t = 0; t < 60; ++t) {
    const std::array<double, 1> v{static_cast<double>(t % 2 == 0 ? 2 : 4)};
    ring.add(600 + t, v);
  }
  // The minute starting at 600 is not finished until a sample of the next one arrives.
  EXPECT_TRUE(ring.json(SeriesRing::Step::kMinute, 0)["time"].empty());
  const std::array<double, 1> next{100};
  ring.add(660, next);
  const nlohmann::json j = ring.json(SeriesRing::Step::kMinute, 0);
  EXPECT_EQ(j["step"], 60);
  EXPECT_EQ(j["time"], nlohmann::json({600}));
  EXPECT_EQ(j["series"]["a"], nlohmann::json({3.0}));
}

TEST(SeriesRing, ASecondNotAfterTheLastIsIgnored) {
  SeriesRing ring({"a"}, 10, 10);
  const std::array<double, 1> v{1};
  ring.add(50, v);
  ring.add(50, v);
  ring.add(49, v);
  EXPECT_EQ(ring.json(SeriesRing::Step::kSecond, 0)["time"], nlohmann::json({50}));
}

TEST(SeriesRing, AWrongNumberOfValuesIsRefused) {
  SeriesRing ring({"a", "b"});
  const std::array<double, 1> v{1};
  EXPECT_THROW(ring.add(1, v), std::invalid_argument);
}

}  // namespace
}  // namespace tg::app::admin_api
