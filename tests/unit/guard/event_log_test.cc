#include "guard/event_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "base/log.h"
#include "db/event_store.h"

namespace tg::guard {
namespace {

using namespace std::chrono_literals;

SecurityEvent event(const char* source, const char* rule, std::string sample = "") {
  SecurityEvent e;
  e.time = std::chrono::system_clock::time_point{} + 1000s;
  e.zone = transport::Zone::kPublic;
  e.source = *base::Address::parse(source, 5060);
  e.rule = rule;
  e.reason = "User-Agent friendly-scanner";
  e.action = "drop";
  e.sample = std::move(sample);
  return e;
}

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(logged_);
    log::init(log::Settings{}, sink_);
    settings_.repeatInterval = 60s;
    settings_.sampleBytes = 16;
  }
  void TearDown() override {
    log::init(log::Settings{}, std::make_shared<spdlog::sinks::ostream_sink_mt>(std::cerr));
  }
  int linesLogged() const {
    const std::string s = logged_.str();
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  }

  std::ostringstream logged_;
  spdlog::sink_ptr sink_;
  base::ManualClock clock_;
  config::EventSettings settings_;
};

TEST_F(EventLogTest, CountsEveryEventAndThrottlesRepeats) {
  EventLog events(clock_, settings_);
  events.record(event("203.0.113.9", "scanner.user_agent"));
  events.record(event("203.0.113.9", "scanner.user_agent"));   // throttled
  events.record(event("203.0.113.9", "ratelimit.invite"));     // another rule: logged
  events.record(event("203.0.113.10", "scanner.user_agent"));  // another source: logged
  EXPECT_EQ(events.total(), 4u);
  EXPECT_EQ(events.suppressed(), 1u);
  EXPECT_EQ(events.count("scanner.user_agent"), 3u);
  EXPECT_EQ(events.count("ratelimit.invite"), 1u);
  EXPECT_EQ(events.count("acl.deny"), 0u);
  EXPECT_EQ(linesLogged(), 3);
  EXPECT_NE(logged_.str().find("rule=scanner.user_agent"), std::string::npos);
  EXPECT_NE(logged_.str().find("source=203.0.113.9:5060"), std::string::npos);

  // The same source from another port is the same source.
  auto other = event("203.0.113.9", "scanner.user_agent");
  other.source.setPort(40000);
  events.record(other);
  EXPECT_EQ(events.suppressed(), 2u);

  clock_.advance(60s);  // the interval passed: logged again, with the repeats it stands for
  events.record(event("203.0.113.9", "scanner.user_agent"));
  EXPECT_EQ(linesLogged(), 4);
  EXPECT_NE(logged_.str().find("repeats=2"), std::string::npos);
  const auto counts = events.counts();
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].first, "ratelimit.invite");
  EXPECT_EQ(counts[1].second, 5u);
}

TEST_F(EventLogTest, ZeroIntervalRecordsEverything) {
  settings_.repeatInterval = 0s;
  EventLog events(clock_, settings_);
  for (int i = 0; i < 5; ++i) events.record(event("203.0.113.9", "acl.deny"));
  EXPECT_EQ(events.suppressed(), 0u);
  EXPECT_EQ(linesLogged(), 5);
}

TEST(EventLogSampleTest, SampleIsBoundedAndPrintable) {
  EXPECT_EQ(EventLog::printableSample("OPTIONS sip:x SIP/2.0\r\nVia: a\r\n", 100),
            "OPTIONS sip:x SIP/2.0\\nVia: a\\n");
  EXPECT_EQ(EventLog::printableSample("INVITE sip:100@x SIP/2.0", 6), "INVITE...");
  EXPECT_EQ(EventLog::printableSample(std::string("a\x1b[2Jb\x00\xff", 8), 100),
            "a\\x1b[2Jb\\x00\\xff");
  EXPECT_EQ(EventLog::printableSample("", 10), "");
  EXPECT_EQ(EventLog::printableSample("abc", 0), "...");
}

TEST_F(EventLogTest, ForwardsToTheStoreTruncatedAndThrottled) {
  std::string pattern = (std::filesystem::temp_directory_path() / "tg-ev-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  {
    db::EventStore store((dir / "trunkguard.db").string());
    EventLog events(clock_, settings_, &store);
    events.record(
        event("203.0.113.9", "scanner.user_agent", "OPTIONS sip:100@example.com SIP/2.0\r\n"));
    events.record(event("203.0.113.9", "scanner.user_agent"));  // throttled: not stored
    auto shadow = event("198.51.100.1", "ratelimit.invite");
    shadow.action = "shadow";
    events.record(shadow);
    const auto stored = store.recent(10);
    ASSERT_EQ(stored.size(), 2u);
    const auto& first = stored[1].rule == "scanner.user_agent" ? stored[1] : stored[0];
    EXPECT_EQ(first.sample, "OPTIONS sip:100@...");  // 16 bytes of the message
    EXPECT_EQ(first.zone, "public");
    EXPECT_EQ(first.source, "203.0.113.9:5060");
    EXPECT_EQ(first.action, "drop");
    EXPECT_EQ(first.timeMs, 1000000);
  }
  EXPECT_NE(logged_.str().find("would block"), std::string::npos);  // the shadow event
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tg::guard
