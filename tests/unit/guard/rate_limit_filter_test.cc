#include "guard/ratelimit/rate_limit_filter.h"

#include <gtest/gtest.h>

#include <string>

#include "../common/test_helpers.h"

namespace tg::guard::ratelimit {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using tg::testing::addr;

std::unique_ptr<sip::Message> request(const std::string& method, bool toTag = false) {
  return tg::testing::parse(method +
                            " sip:100@192.0.2.1 SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK1\r\n"
                            "From: <sip:200@203.0.113.5>;tag=f1\r\n"
                            "To: <sip:100@192.0.2.1>" +
                            std::string(toTag ? ";tag=t1" : "") + "\r\nCall-ID: c1\r\nCSeq: 1 " +
                            method +
                            "\r\n"
                            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
}

class RateLimitFilterTest : public ::testing::Test {
 protected:
  RateLimitFilterTest() { make(); }
  void make() { filter_ = std::make_unique<RateLimitFilter>(settings_); }

  Verdict send(const std::string& method, const char* ip, bool trusted = false,
               bool inDialog = false, transport::Zone zone = transport::Zone::kPublic) {
    auto m = request(method, inDialog);
    const base::Address src = addr(ip, 5060);
    return filter_->onRequest(Request{*m, zone, src, trusted, inDialog, clock_.now()});
  }
  // How many of `n` requests in a row pass.
  int passing(int n, const std::string& method, const char* ip, bool trusted = false,
              bool inDialog = false) {
    int passed = 0;
    for (int i = 0; i < n; ++i) passed += send(method, ip, trusted, inDialog).passes() ? 1 : 0;
    return passed;
  }

  config::RateLimitSettings settings_;
  base::ManualClock clock_;
  std::unique_ptr<RateLimitFilter> filter_;
};

TEST(MethodClassTest, InDialogRequestsAreOther) {
  EXPECT_EQ(classify(sip::Method::kInvite, false), MethodClass::kInvite);
  EXPECT_EQ(classify(sip::Method::kRegister, false), MethodClass::kRegister);
  EXPECT_EQ(classify(sip::Method::kOptions, false), MethodClass::kOptions);
  EXPECT_EQ(classify(sip::Method::kMessage, false), MethodClass::kOther);
  EXPECT_EQ(classify(sip::Method::kInvite, true), MethodClass::kOther);
}

TEST_F(RateLimitFilterTest, PublicDefaultsLimitEachSourcePerMethodClass) {
  EXPECT_EQ(passing(10, "INVITE", "203.0.113.5"), 5);
  EXPECT_EQ(passing(20, "REGISTER", "203.0.113.5"), 10);  // its own budget
  EXPECT_EQ(passing(10, "OPTIONS", "203.0.113.5"), 5);
  EXPECT_EQ(passing(30, "MESSAGE", "203.0.113.5"), 20);
  EXPECT_EQ(passing(10, "INVITE", "203.0.113.6"), 5);  // another source, its own windows
}

// Issue 12 item 3: STUN keep-alives spend the OPTIONS budget of their source.
TEST_F(RateLimitFilterTest, StunKeepAlivesCountAsOptions) {
  const base::Address src = addr("203.0.113.5", 40000);
  int passed = 0;
  for (int i = 0; i < 10; ++i) {
    passed += filter_->onKeepAlive(transport::Zone::kPublic, src, false, clock_.now()).passes();
  }
  EXPECT_EQ(passed, 5);
  const Verdict v = filter_->onKeepAlive(transport::Zone::kPublic, src, false, clock_.now());
  EXPECT_EQ(v.action, Action::kDrop);
  EXPECT_EQ(v.rule, "ratelimit.options");
  EXPECT_EQ(passing(1, "OPTIONS", "203.0.113.5"), 0);  // the same budget
}

TEST_F(RateLimitFilterTest, OverTheLimitIsASilentDropWithoutBanAtFirst) {
  passing(5, "INVITE", "203.0.113.5");
  const Verdict v = send("INVITE", "203.0.113.5");
  EXPECT_EQ(v.action, Action::kDrop);
  EXPECT_EQ(v.rule, "ratelimit.invite");
  EXPECT_FALSE(v.ban);
}

TEST_F(RateLimitFilterTest, BanAfterViolationsInThatManyWindows) {
  for (int window = 1; window <= 3; ++window) {
    passing(5, "INVITE", "203.0.113.5");
    const Verdict v = send("INVITE", "203.0.113.5");
    EXPECT_EQ(v.rule, "ratelimit.invite");
    EXPECT_EQ(v.ban, window == 3) << window;
    EXPECT_EQ(send("INVITE", "203.0.113.5").ban, window == 3);  // same window: same count
    clock_.advance(seconds(2));  // the windows empty; the violation count stays
  }
}

TEST_F(RateLimitFilterTest, AnOccasionalBurstIsNeverBanned) {
  for (int burst = 0; burst < 5; ++burst) {
    passing(5, "INVITE", "203.0.113.5");
    EXPECT_FALSE(send("INVITE", "203.0.113.5").ban) << burst;
    clock_.advance(seconds(10));  // a long pause starts the violation count over
  }
}

TEST_F(RateLimitFilterTest, WindowSlides) {
  EXPECT_EQ(passing(5, "INVITE", "203.0.113.5"), 5);
  clock_.advance(milliseconds(1400));  // 60% of the last second's 5 still count: 3
  EXPECT_EQ(passing(5, "INVITE", "203.0.113.5"), 2);
  clock_.advance(seconds(2));
  EXPECT_EQ(passing(10, "INVITE", "203.0.113.5"), 5);
}

TEST_F(RateLimitFilterTest, RefusedRequestsDoNotExtendTheBlock) {
  EXPECT_EQ(passing(1000, "INVITE", "203.0.113.5"), 5);
  clock_.advance(seconds(2));
  EXPECT_EQ(passing(10, "INVITE", "203.0.113.5"), 5);
}

TEST_F(RateLimitFilterTest, InDialogRequestsOfUntrustedSourcesCountAsOther) {
  settings_.publicZone.perSource.other = 3;
  make();
  EXPECT_EQ(passing(10, "INVITE", "203.0.113.5", false, /*inDialog=*/true), 3);  // re-INVITEs
  EXPECT_EQ(send("BYE", "203.0.113.5", false, true).rule, "ratelimit.other");
  EXPECT_EQ(passing(10, "INVITE", "203.0.113.5"), 5);  // new calls keep their budget
}

TEST_F(RateLimitFilterTest, TrustedPeerOverItsLimitGets503WithRetryAfter) {
  settings_.trustedPerSource.invite = 3;
  make();
  EXPECT_EQ(passing(3, "INVITE", "192.0.2.20", /*trusted=*/true), 3);
  const Verdict v = send("INVITE", "192.0.2.20", true);
  EXPECT_EQ(v.action, Action::kReply);
  EXPECT_EQ(v.code, 503);
  EXPECT_EQ(v.rule, "ratelimit.trusted.invite");
  EXPECT_EQ(v.retryAfterS, 1u);
  EXPECT_FALSE(v.ban);
  // Its established calls go on.
  EXPECT_EQ(passing(50, "BYE", "192.0.2.20", true, /*inDialog=*/true), 50);
}

TEST_F(RateLimitFilterTest, TrustedLimitsAreSeparateFromUntrustedOnes) {
  // 500/s by default: far above the public per-source limit.
  EXPECT_EQ(passing(100, "INVITE", "192.0.2.20", true), 100);
}

TEST_F(RateLimitFilterTest, RetryAfterFollowsTheWindow) {
  settings_.window = milliseconds(2500);
  settings_.trustedPerSource.invite = 1;  // 2.5 per window
  make();
  passing(2, "INVITE", "192.0.2.20", true);
  EXPECT_EQ(send("INVITE", "192.0.2.20", true).retryAfterS, 3u);
}

TEST_F(RateLimitFilterTest, ZoneAggregateCapsManySources) {
  settings_.publicZone.aggregate.invite = 12;
  make();
  EXPECT_EQ(passing(5, "INVITE", "203.0.113.1"), 5);
  EXPECT_EQ(passing(5, "INVITE", "203.0.113.2"), 5);
  EXPECT_EQ(passing(5, "INVITE", "203.0.113.3"), 2);
  const Verdict v = send("INVITE", "203.0.113.4");
  EXPECT_EQ(v.rule, "ratelimit.zone.invite");
  EXPECT_FALSE(v.ban);  // not that source's fault
  // A trusted source in the zone hears 503 rather than silence.
  const Verdict t = send("INVITE", "192.0.2.20", true);
  EXPECT_EQ(t.code, 503);
  EXPECT_EQ(t.rule, "ratelimit.zone.invite");
}

TEST_F(RateLimitFilterTest, EachWorkerTakesItsShareOfAZoneAggregate) {
  settings_.publicZone.aggregate.invite = 12;
  filter_ = std::make_unique<RateLimitFilter>(settings_, 4);
  EXPECT_EQ(passing(5, "INVITE", "203.0.113.1"), 3);  // 12 / 4 workers
  // The per-source limit (5) is not shared out: a source stays on one worker.
  settings_.publicZone.aggregate.invite = 0;
  filter_ = std::make_unique<RateLimitFilter>(settings_, 4);
  EXPECT_EQ(passing(10, "INVITE", "203.0.113.1"), 5);
}

TEST_F(RateLimitFilterTest, ZonesAreIndependent) {
  // pbx zone: no per-source limit by default (it holds only the PBX).
  int passed = 0;
  for (int i = 0; i < 100; ++i) {
    passed += send("INVITE", "192.0.2.20", false, false, transport::Zone::kPbx).passes();
  }
  EXPECT_EQ(passed, 100);
  EXPECT_EQ(filter_->trackedSources(), 0u);           // no limit, no state
  EXPECT_EQ(passing(10, "INVITE", "192.0.2.20"), 5);  // the same address in the public zone
}

TEST_F(RateLimitFilterTest, DisabledFilterPassesEverything) {
  settings_.enabled = false;
  make();
  EXPECT_EQ(passing(100, "INVITE", "203.0.113.5"), 100);
}

TEST_F(RateLimitFilterTest, MemoryStaysBoundedUnderAFloodFromManySources) {
  settings_.maxSources = 1000;
  make();
  auto m = request("INVITE");
  for (uint32_t i = 0; i < 100000; ++i) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x0A000000u + i);
    const base::Address a =
        base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
    filter_->onRequest(Request{*m, transport::Zone::kPublic, a, false, false, clock_.now()});
    ASSERT_LE(filter_->trackedSources(), 1000u);
  }
  EXPECT_EQ(filter_->trackedSources(), 1000u);
  clock_.advance(seconds(3));
  filter_->expire(clock_.now());
  EXPECT_EQ(filter_->trackedSources(), 1000u);  // a violation streak may still be running
  clock_.advance(seconds(1));
  filter_->expire(clock_.now());
  EXPECT_EQ(filter_->trackedSources(), 0u);
}

}  // namespace
}  // namespace tg::guard::ratelimit
