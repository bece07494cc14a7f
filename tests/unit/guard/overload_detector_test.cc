#include "guard/overload/overload_detector.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "../common/test_helpers.h"

namespace tg::guard::overload {
namespace {

using std::chrono::milliseconds;
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

class OverloadDetectorTest : public ::testing::Test {
 protected:
  Verdict send(const std::string& method, bool trusted, bool inDialog = false) {
    auto m = request(method, inDialog);
    const base::Address src = addr(trusted ? "192.0.2.20" : "203.0.113.5", 5060);
    return detector_.onRequest(
        Request{*m, transport::Zone::kPublic, src, trusted, inDialog, base::TimePoint{}});
  }
  // One second of loop time with `cpu` percent of it busy, all of it on the trusted zones
  // unless `trustedCpu` / `trustedQueue` say how much.
  void sample(int cpu, size_t queue = 0, int trustedCpu = -1, int64_t trustedQueue = -1) {
    LoadSample s;
    s.busy = milliseconds(cpu * 10);
    s.trustedBusy = milliseconds((trustedCpu < 0 ? cpu : trustedCpu) * 10);
    s.interval = milliseconds(1000);
    s.queuedDatagrams = queue;
    s.trustedQueuedDatagrams = trustedQueue < 0 ? queue : static_cast<size_t>(trustedQueue);
    detector_.recordSample(s);
  }

  config::OverloadSettings settings_;  // 90%, 2000 datagrams, Retry-After 5
  OverloadDetector detector_{settings_};
};

TEST_F(OverloadDetectorTest, NormalLoadPassesEverything) {
  sample(50, 100);
  EXPECT_EQ(detector_.level(), OverloadLevel::kNormal);
  EXPECT_TRUE(send("INVITE", false).passes());
  EXPECT_TRUE(send("INVITE", true).passes());
}

TEST_F(OverloadDetectorTest, ShedsUntrustedNewRequestsFirst) {
  sample(95);
  ASSERT_EQ(detector_.level(), OverloadLevel::kShedUntrusted);
  EXPECT_DOUBLE_EQ(detector_.lastCpuPercent(), 95);
  const Verdict v = send("INVITE", false);
  EXPECT_EQ(v.action, Action::kDrop);
  EXPECT_EQ(v.rule, "overload.shed");
  EXPECT_FALSE(v.ban);
  EXPECT_TRUE(send("INVITE", true).passes());                   // trusted go last
  EXPECT_TRUE(send("BYE", false, /*inDialog=*/true).passes());  // established calls go on
  EXPECT_TRUE(send("ACK", false).passes());
  EXPECT_TRUE(send("CANCEL", false).passes());
}

TEST_F(OverloadDetectorTest, QueueBacklogAloneTriggersShedding) {
  sample(10, 2000);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedUntrusted);
}

TEST_F(OverloadDetectorTest, EscalatesWhenSheddingUntrustedDoesNotHelp) {
  sample(95);
  sample(95);
  sample(95);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedUntrusted);
  sample(95);
  ASSERT_EQ(detector_.level(), OverloadLevel::kShedAll);
  const Verdict v = send("INVITE", true);
  EXPECT_EQ(v.action, Action::kReply);
  EXPECT_EQ(v.code, 503);
  EXPECT_EQ(v.retryAfterS, 5u);
  EXPECT_EQ(v.rule, "overload.shed");
  EXPECT_EQ(send("INVITE", false).action, Action::kDrop);  // untrusted still hear nothing
  EXPECT_TRUE(send("BYE", true, true).passes());
  EXPECT_TRUE(send("INVITE", false, true).passes());  // re-INVITE in a call
}

TEST_F(OverloadDetectorTest, AFloodOnThePublicZoneAloneNeverShedsTrustedPeers) {
  // The public zone is flooded (its socket backlog twice the mark, the loop busy); the pbx
  // and trunk zones are quiet: turning the PBX away would relieve nothing.
  for (int i = 0; i < 10; ++i) sample(95, 4000, /*trustedCpu=*/5, /*trustedQueue=*/0);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedUntrusted);
  EXPECT_TRUE(send("INVITE", true).passes());
  EXPECT_EQ(send("INVITE", false).action, Action::kDrop);
}

TEST_F(OverloadDetectorTest, TrustedSheddingEndsWhenTheTrustedZonesQuietDown) {
  for (int i = 0; i < 4; ++i) sample(95);  // all of it trusted traffic
  ASSERT_EQ(detector_.level(), OverloadLevel::kShedAll);
  sample(95, 0, 5, 0);
  sample(95, 0, 5, 0);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedAll);
  sample(95, 0, 5, 0);  // three samples of untrusted load only
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedUntrusted);
  EXPECT_TRUE(send("INVITE", true).passes());
}

TEST_F(OverloadDetectorTest, ADeepQueueEscalatesAtOnce) {
  sample(10, 4000);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedAll);
}

TEST_F(OverloadDetectorTest, HysteresisStepsDownSlowly) {
  sample(10, 4000);
  ASSERT_EQ(detector_.level(), OverloadLevel::kShedAll);
  // Between the resume mark (80%) and the threshold: hold.
  for (int i = 0; i < 10; ++i) sample(85);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedAll);
  // A queue over half the mark is not calm either.
  for (int i = 0; i < 10; ++i) sample(10, 1500);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedAll);
  sample(50);
  sample(50);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedAll);
  sample(50);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedUntrusted);
  sample(50);
  sample(50);
  sample(95);  // a spike resets the calm count
  sample(50);
  sample(50);
  EXPECT_EQ(detector_.level(), OverloadLevel::kShedUntrusted);
  sample(50);
  EXPECT_EQ(detector_.level(), OverloadLevel::kNormal);
  EXPECT_TRUE(send("INVITE", false).passes());
}

TEST_F(OverloadDetectorTest, DisabledNeverSheds) {
  settings_.enabled = false;
  OverloadDetector off(settings_);
  off.recordSample(
      LoadSample{milliseconds(1000), milliseconds(1000), milliseconds(1000), 100000, 100000});
  EXPECT_EQ(off.level(), OverloadLevel::kNormal);
}

TEST(BatchBacklogTest, CountsConsecutiveFullBatches) {
  BatchBacklog b;
  b.onBatch(64, 64);
  b.onBatch(64, 64);
  EXPECT_EQ(b.datagrams(), 128u);
  b.onBatch(3, 64);
  EXPECT_EQ(b.datagrams(), 0u);
}

TEST(ReceiveQueueTest, MeasuresUnreadDatagrams) {
  const int rx = socket(AF_INET, SOCK_DGRAM, 0);
  const int tx = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(rx, 0);
  ASSERT_GE(tx, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(getsockname(rx, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  auto empty = receiveQueueDatagrams(rx, 1);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, 0u);
  const std::string payload(1000, 'x');
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(
        sendto(tx, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)),
        1000);
  }
  auto bytes = receiveQueueDatagrams(rx, 1);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_GE(*bytes, 10000u);  // payload plus the kernel's per-buffer overhead
  auto datagrams = receiveQueueDatagrams(rx);
  ASSERT_TRUE(datagrams.has_value());
  EXPECT_GE(*datagrams, 5u);
  EXPECT_LE(*datagrams, 40u);
  close(rx);
  close(tx);
}

}  // namespace
}  // namespace tg::guard::overload
