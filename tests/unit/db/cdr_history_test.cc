// The calls the fraud detectors learn from at start: outbound calls with an account that the
// gateway let through, and unanswered inbound calls that rang the site, since a point in time,
// oldest first.

#include "db/cdr_history.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/cdr_store.h"

namespace tg::db {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const base::SystemTime kNow = sys_days{year{2026} / November / 27} + 13h;

class CdrHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-hist-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static CdrRecord call(const std::string& uuid, const std::string& direction,
                        const std::string& account, base::SystemTime start) {
    CdrRecord r;
    r.callUuid = uuid;
    r.direction = direction;
    r.account = account;
    r.dialledE164 = std::string("+44207946").append(uuid.substr(1));
    r.destinationClass = "international";
    r.startTime = start;
    r.disposition = "in-progress";
    return r;
  }

  std::vector<PastCall> read(base::SystemTime since) {
    std::vector<PastCall> out;
    const size_t n =
        forEachOutboundCallSince(path_, since, [&](const PastCall& c) { out.push_back(c); });
    EXPECT_EQ(n, out.size());
    return out;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CdrHistoryTest, OutboundCallsTheGatewayLetThroughOldestFirst) {
  {
    CdrStore store(path_);
    store.recordStart(call("c1000", "outbound", "1001", kNow - 40 * 24h));  // before `since`
    store.recordStart(call("c1002", "outbound", "1001", kNow - 2h));
    store.recordEnd("c1002", kNow - 2h + 5min, "answered", 200, "bye-from-a", 290000);
    store.recordStart(call("c1001", "outbound", "1002", kNow - 3h));
    store.recordEnd("c1001", kNow - 3h + 1min, "answered", 200, "ended-by-gateway: fraud suspected",
                    50000);
    store.recordStart(call("c1003", "outbound", "1001", kNow - 1h));  // live at the stop
    store.recordStart(call("c1004", "inbound", "", kNow - 1h));
    store.recordStart(call("c1005", "outbound", "", kNow - 1h));  // no account: no baseline
    CdrRecord refused = call("c1006", "outbound", "1001", kNow - 30min);
    refused.disposition = "rejected";
    refused.endTime = refused.startTime;
    store.recordStart(refused);
  }
  const std::vector<PastCall> calls = read(kNow - 30 * 24h);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].account, "1002");
  EXPECT_EQ(calls[0].dialledE164, "+442079461001");
  EXPECT_EQ(calls[0].destinationClass, "international");
  EXPECT_TRUE(calls[0].endedByGateway);
  EXPECT_EQ(calls[1].account, "1001");
  EXPECT_EQ(calls[1].start, kNow - 2h);
  ASSERT_TRUE(calls[1].end.has_value());
  EXPECT_EQ(*calls[1].end, kNow - 2h + 5min);
  EXPECT_FALSE(calls[1].endedByGateway);
  EXPECT_FALSE(calls[2].end.has_value());
}

TEST_F(CdrHistoryTest, UnansweredInboundCallsThatRangTheSite) {
  {
    CdrStore store(path_);
    const auto inbound = [](const std::string& uuid, const std::string& from,
                            base::SystemTime start) {
      CdrRecord r = call(uuid, "inbound", "", start);
      r.fromUri = from;
      return r;
    };
    store.recordStart(inbound("c2001", "sip:+2332123456@198.51.100.7", kNow - 2h));
    store.recordEnd("c2001", kNow - 2h + 3s, "cancelled", 487, "cancel-from-a", 0);
    store.recordStart(inbound("c2000", "sip:+2332123450@198.51.100.7", kNow - 4h));  // answered
    store.recordAnswer("c2000", kNow - 4h + 5s);
    store.recordEnd("c2000", kNow - 4h + 1min, "answered", 200, "bye-from-a", 55000);
    store.recordStart(inbound("c2002", "sip:+2332123451@198.51.100.7", kNow - 1h));  // live
    CdrRecord refused = inbound("c2003", "sip:+2332123452@198.51.100.7", kNow - 30min);
    refused.disposition = "rejected";
    refused.endTime = refused.startTime;
    store.recordStart(refused);
    store.recordStart(inbound("c2004", "sip:+2332123453@198.51.100.7", kNow - 80h));  // before
    store.recordEnd("c2004", kNow - 80h + 3s, "cancelled", 487, "cancel-from-a", 0);
    store.recordStart(call("c2005", "outbound", "1001", kNow - 1h));
    store.recordEnd("c2005", kNow - 1h + 3s, "cancelled", 487, "cancel-from-a", 0);
  }
  std::vector<PastRing> rings;
  const size_t n = forEachUnansweredInboundCallSince(
      path_, kNow - 72h, [&](const PastRing& r) { rings.push_back(r); });
  ASSERT_EQ(n, 1u);
  ASSERT_EQ(rings.size(), 1u);
  EXPECT_EQ(rings[0].fromUri, "sip:+2332123456@198.51.100.7");
  EXPECT_EQ(rings[0].start, kNow - 2h);
  EXPECT_EQ(rings[0].end, kNow - 2h + 3s);
}

TEST_F(CdrHistoryTest, AFileThatIsNoDatabaseIsAClearError) {
  EXPECT_THROW(read(kNow), std::runtime_error);  // missing: never created
}

}  // namespace
}  // namespace tg::db
