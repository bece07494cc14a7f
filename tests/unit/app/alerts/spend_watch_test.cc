// The spend thresholds: one event when the last hour's cost goes over a threshold, none while it
// stays over, another after it fell back and crossed again. The costs are read from a real CDR
// file written by CdrStore, on a manual clock (each check passes its own "now").

#include "app/alerts/spend_watch.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "db/cdr_store.h"
#include "db/spend_reader.h"

namespace tg::app::alerts {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kHourMs = 3'600'000;
const base::SystemTime kT0 = base::SystemTime{} + std::chrono::hours(24 * 20000);

int64_t ms(base::SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

class SpendWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-spend-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "trunkguard.db").string();
    store_.emplace(path_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // One call of `account` ending at `end`, costing `cost`.
  void call(const std::string& account, base::SystemTime end, double cost) {
    db::CdrRecord r;
    r.callUuid = "call-" + std::to_string(next_++);
    r.direction = "outbound";
    r.account = account;
    r.startTime = end - 30s;
    r.disposition = "in-progress";
    store_->recordStart(r);
    store_->recordEnd(r.callUuid, end, "answered", 200, "bye-from-a", 30000, cost);
    store_->flush();
  }

  // What the watch says at `now`, reading the last hour the way the alert thread does.
  std::vector<AlertEvent> check(base::SystemTime now, const SpendThresholds& limits) {
    db::SpendReader reader(path_);
    return watch_.update(reader.since(ms(now) - kHourMs), limits, ms(now));
  }

  std::filesystem::path dir_;
  std::string path_;
  std::optional<db::CdrStore> store_;
  SpendWatch watch_;
  int next_ = 0;
};

TEST_F(SpendWatchTest, ReaderSumsTheLastHourByAccount) {
  call("alice", kT0 - 2h, 50.0);  // too old
  call("alice", kT0 - 30min, 1.25);
  call("bob", kT0 - 10min, 2.5);
  call("bob", kT0 - 5min, 0.0);  // free calls add nothing
  db::SpendReader reader(path_);
  const db::SpendTotals t = reader.since(ms(kT0) - kHourMs);
  EXPECT_DOUBLE_EQ(t.total, 3.75);
  ASSERT_EQ(t.byAccount.size(), 2u);
  EXPECT_DOUBLE_EQ(t.byAccount.at("alice"), 1.25);
  EXPECT_DOUBLE_EQ(t.byAccount.at("bob"), 2.5);
}

TEST_F(SpendWatchTest, SiteThresholdFiresOncePerCrossing) {
  const SpendThresholds limits{.site = 10.0, .account = std::nullopt};
  call("alice", kT0, 6.0);
  EXPECT_TRUE(check(kT0 + 1min, limits).empty());  // 6 <= 10

  call("bob", kT0 + 90s, 5.0);  // 11 > 10: crossing
  auto over = check(kT0 + 2min, limits);
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(over[0].rule, "spend.hourly");
  EXPECT_NE(over[0].reason.find("11.0000"), std::string::npos) << over[0].reason;
  EXPECT_NE(over[0].reason.find("alerts.spend_per_hour 10.0000"), std::string::npos);

  call("bob", kT0 + 150s, 3.0);  // still over: no new alert each minute
  EXPECT_TRUE(check(kT0 + 3min, limits).empty());
  EXPECT_TRUE(check(kT0 + 4min, limits).empty());

  // An hour on, the first calls have left the window (only bob's 3.0 at +150s is left once
  // alice's and bob's first call are older than 60 minutes): under again, no event.
  EXPECT_TRUE(check(kT0 + 60min + 100s, limits).empty());
  // Over again: a second crossing alerts again.
  call("carol", kT0 + 61min, 8.0);
  auto again = check(kT0 + 62min, limits);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].rule, "spend.hourly");
}

TEST_F(SpendWatchTest, AccountThresholdNamesTheAccountAndTracksEachOnItsOwn) {
  const SpendThresholds limits{.site = std::nullopt, .account = 4.0};
  call("alice", kT0, 5.0);
  call("bob", kT0, 1.0);
  auto first = check(kT0 + 1min, limits);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].rule, "spend.account_hourly");
  EXPECT_EQ(first[0].source, "alice");
  EXPECT_NE(first[0].reason.find("account alice"), std::string::npos) << first[0].reason;
  EXPECT_NE(first[0].reason.find("alerts.account_spend_per_hour 4.0000"), std::string::npos);

  call("bob", kT0 + 1min, 3.5);  // bob crosses; alice stays over (no repeat)
  auto second = check(kT0 + 2min, limits);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].source, "bob");

  // Both fall out of the window, then alice crosses again.
  EXPECT_TRUE(check(kT0 + 62min, limits).empty());
  call("alice", kT0 + 63min, 4.5);
  auto third = check(kT0 + 64min, limits);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].source, "alice");
}

TEST_F(SpendWatchTest, NoThresholdNoEvent) {
  call("alice", kT0, 1000.0);
  EXPECT_TRUE(check(kT0 + 1min, SpendThresholds{}).empty());
}

TEST(SpendReader, MissingFileIsAClearError) {
  try {
    db::SpendReader reader("/nonexistent/tg-spend.db");
    FAIL() << "opened a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tg-spend.db"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tg::app::alerts
