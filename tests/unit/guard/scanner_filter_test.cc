#include "guard/scanner/scanner_filter.h"

#include <gtest/gtest.h>

#include <string>

#include "../common/test_helpers.h"
#include "guard/scanner/signatures.h"

namespace tg::guard::scanner {
namespace {

using std::chrono::seconds;
using tg::testing::addr;

struct Msg {
  std::string method = "INVITE";
  std::string user = "100";  // Request-URI user (To user for REGISTER)
  std::string userAgent = "Yealink SIP-T46S 66.86.0.15";
  std::string server;
  std::string fromDisplay = "Alice";
  std::string toTag;
};

std::unique_ptr<sip::Message> build(const Msg& m) {
  const bool reg = m.method == "REGISTER";
  std::string ruri = reg ? "sip:192.0.2.1" : "sip:" + m.user + "@192.0.2.1";
  std::string text = m.method + " " + ruri + " SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK" + m.user + "\r\n";
  text += "From: \"" + m.fromDisplay + "\" <sip:200@203.0.113.5>;tag=f1\r\n";
  text +=
      "To: <sip:" + m.user + "@192.0.2.1>" + (m.toTag.empty() ? "" : ";tag=" + m.toTag) + "\r\n";
  text += "Call-ID: c-" + m.user + "\r\nCSeq: 1 " + m.method + "\r\nMax-Forwards: 70\r\n";
  if (!m.userAgent.empty()) text += "User-Agent: " + m.userAgent + "\r\n";
  if (!m.server.empty()) text += "Server: " + m.server + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  return tg::testing::parse(text);
}

class ScannerFilterTest : public ::testing::Test {
 protected:
  Verdict send(const Msg& m, const base::Address& from, bool trusted = false) {
    auto message = build(m);
    const Request r{*message, transport::Zone::kPublic, from,
                    trusted,  !m.toTag.empty(),         clock_.now()};
    return filter_->onRequest(r);
  }
  Verdict sendFrom(const char* ip, const Msg& m) { return send(m, addr(ip, 5060)); }

  void make() { filter_ = std::make_unique<ScannerFilter>(settings_); }

  config::ScannerSettings settings_;
  base::ManualClock clock_;
  std::unique_ptr<ScannerFilter> filter_ = std::make_unique<ScannerFilter>(settings_);
};

TEST_F(ScannerFilterTest, ShippedListHoldsTheKnownTools) {
  bool friendly = false, vicious = false;
  for (const Signature& s : shippedSignatures()) {
    friendly |= s.pattern == "friendly-scanner";
    vicious |= s.pattern == "sipvicious";
    for (const char c : s.pattern) EXPECT_FALSE(c >= 'A' && c <= 'Z') << s.pattern;
    // Test tools operators use against their own gateway are left out on purpose.
    EXPECT_NE(s.pattern, "sipsak");
  }
  EXPECT_TRUE(friendly && vicious);
}

TEST_F(ScannerFilterTest, KnownUserAgentIsDroppedAndBanned) {
  Msg m;
  m.userAgent = "Friendly-Scanner";
  const Verdict v = sendFrom("203.0.113.5", m);
  EXPECT_EQ(v.action, Action::kDrop);
  EXPECT_TRUE(v.ban);
  EXPECT_EQ(v.rule, "scanner.user_agent");
  EXPECT_NE(v.reason.find("friendly-scanner"), std::string_view::npos);
}

TEST_F(ScannerFilterTest, ServerHeaderAndFromDisplayNameAreCheckedToo) {
  Msg server;
  server.server = "sipcli/v1.8";
  EXPECT_EQ(sendFrom("203.0.113.5", server).rule, "scanner.user_agent");
  Msg display;
  display.fromDisplay = "sipvicious";
  EXPECT_EQ(sendFrom("203.0.113.6", display).rule, "scanner.user_agent");
}

TEST_F(ScannerFilterTest, OrdinaryPhonePasses) {
  EXPECT_TRUE(sendFrom("203.0.113.5", Msg{}).passes());
}

TEST_F(ScannerFilterTest, TrustedSourceIsNeverJudged) {
  Msg m;
  m.userAgent = "friendly-scanner";
  EXPECT_TRUE(send(m, addr("192.0.2.20", 5060), /*trusted=*/true).passes());
  for (int i = 0; i < 50; ++i) {
    Msg probe;
    probe.user = std::to_string(1000 + i);
    EXPECT_TRUE(send(probe, addr("192.0.2.20", 5060), true).passes()) << i;
  }
  EXPECT_EQ(filter_->trackedSources(), 0u);
}

TEST_F(ScannerFilterTest, ConfiguredSignaturesWithoutTheShippedList) {
  settings_.useShippedSignatures = false;
  settings_.userAgents = {"EvilDialer"};
  make();
  Msg shipped;
  shipped.userAgent = "friendly-scanner";
  EXPECT_TRUE(sendFrom("203.0.113.5", shipped).passes());
  Msg custom;
  custom.userAgent = "my evildialer 2.0";
  EXPECT_EQ(sendFrom("203.0.113.6", custom).rule, "scanner.user_agent");
}

TEST_F(ScannerFilterTest, ExtensionSweepWithAnyUserAgentIsCaught) {
  // svwar with a faked User-Agent: 8 distinct extensions pass, the 9th is a sweep.
  for (int i = 0; i < 8; ++i) {
    Msg m;
    m.method = "REGISTER";
    m.user = std::to_string(100 + i);
    m.userAgent = "Asterisk PBX " + std::to_string(i);
    EXPECT_TRUE(sendFrom("203.0.113.5", m).passes()) << i;
    EXPECT_TRUE(sendFrom("203.0.113.5", m).passes()) << "a repeat is not a new user";
  }
  Msg ninth;
  ninth.user = "108";
  const Verdict v = sendFrom("203.0.113.5", ninth);
  EXPECT_EQ(v.action, Action::kDrop);
  EXPECT_EQ(v.rule, "scanner.extension_sweep");
  EXPECT_TRUE(v.ban);
  // It stays a scanner while it keeps sending, even with a user it probed before.
  Msg again;
  again.user = "100";
  EXPECT_EQ(sendFrom("203.0.113.5", again).rule, "scanner.extension_sweep");
  // Another source is unaffected.
  EXPECT_TRUE(sendFrom("203.0.113.6", again).passes());
}

TEST_F(ScannerFilterTest, DistinctUsersAreCountedPerWindow) {
  for (int i = 0; i < 8; ++i) {
    Msg m;
    m.user = std::to_string(100 + i);
    EXPECT_TRUE(sendFrom("203.0.113.5", m).passes());
  }
  clock_.advance(seconds(61));
  for (int i = 0; i < 8; ++i) {
    Msg m;
    m.user = std::to_string(200 + i);
    EXPECT_TRUE(sendFrom("203.0.113.5", m).passes()) << i;
  }
}

TEST_F(ScannerFilterTest, AnIpv6SweepSpreadOverOneSlash64IsOneSource) {
  for (int i = 0; i < 8; ++i) {
    Msg m;
    m.user = std::to_string(100 + i);
    const std::string ip = "2001:db8:1:2::" + std::to_string(i + 1);
    EXPECT_TRUE(send(m, addr(ip, 5060)).passes());
  }
  Msg m;
  m.user = "999";
  EXPECT_EQ(send(m, addr("2001:db8:1:2::ff", 5060)).rule, "scanner.extension_sweep");
}

TEST_F(ScannerFilterTest, OptionsSweep) {
  Msg m;
  m.method = "OPTIONS";
  m.user = "100";  // one user: only the OPTIONS count can catch it
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(sendFrom("203.0.113.5", m).passes()) << i;
  const Verdict v = sendFrom("203.0.113.5", m);
  EXPECT_EQ(v.rule, "scanner.options_sweep");
  EXPECT_TRUE(v.ban);
}

TEST_F(ScannerFilterTest, InDialogOptionsAreNotASweep) {
  Msg m;
  m.method = "OPTIONS";
  m.toTag = "t1";
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(sendFrom("203.0.113.5", m).passes()) << i;
}

TEST_F(ScannerFilterTest, HighFailureRatioMarksAPasswordGuesser) {
  const base::Address src = addr("203.0.113.5", 5060);
  Msg m;
  m.method = "REGISTER";
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(send(m, src).passes()) << i;
    filter_->onResponseSent(transport::Zone::kPublic, src, 100, clock_.now());  // not final
    filter_->onResponseSent(transport::Zone::kPublic, src, 403, clock_.now());
  }
  const Verdict v = send(m, src);
  EXPECT_EQ(v.rule, "scanner.failure_ratio");
  EXPECT_TRUE(v.ban);
}

// Issue 12 item 3: a fuzzer whose requests the validator refuses scores like a guesser.
TEST_F(ScannerFilterTest, BrokenRequestsAnswered400Or505MarkAFuzzer) {
  const base::Address src = addr("203.0.113.5", 5060);
  Msg m;
  m.method = "INVITE";
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(send(m, src).passes()) << i;
    filter_->onResponseSent(transport::Zone::kPublic, src, i % 2 == 0 ? 400 : 505, clock_.now());
  }
  const Verdict v = send(m, src);
  EXPECT_EQ(v.rule, "scanner.failure_ratio");
  EXPECT_TRUE(v.ban);
}

TEST_F(ScannerFilterTest, ChallengeThenSuccessIsNormal) {
  // Digest authentication answers every first request 401: a ratio of one half.
  const base::Address src = addr("203.0.113.5", 5060);
  Msg m;
  m.method = "REGISTER";
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(send(m, src).passes()) << i;
    filter_->onResponseSent(transport::Zone::kPublic, src, i % 2 == 0 ? 401 : 200, clock_.now());
  }
  EXPECT_TRUE(send(m, src).passes());
}

TEST_F(ScannerFilterTest, FewResponsesDoNotCount) {
  const base::Address src = addr("203.0.113.5", 5060);
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(send(Msg{}, src).passes());
    filter_->onResponseSent(transport::Zone::kPublic, src, 404, clock_.now());
  }
  EXPECT_TRUE(send(Msg{}, src).passes());
  // Responses to sources never seen in a request create no state.
  filter_->onResponseSent(transport::Zone::kPublic, addr("198.51.100.1", 5060), 404, clock_.now());
  EXPECT_EQ(filter_->trackedSources(), 1u);
}

TEST_F(ScannerFilterTest, DisabledFilterPassesEverything) {
  settings_.enabled = false;
  make();
  Msg m;
  m.userAgent = "friendly-scanner";
  EXPECT_TRUE(sendFrom("203.0.113.5", m).passes());
}

TEST_F(ScannerFilterTest, MemoryStaysBoundedUnderAFloodFromManySources) {
  settings_.maxSources = 1000;
  make();
  auto message = build(Msg{});
  for (uint32_t i = 0; i < 100000; ++i) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x0A000000u + i);  // 10.0.0.0 + i
    const base::Address a =
        base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
    const Request r{*message, transport::Zone::kPublic, a, false, false, clock_.now()};
    filter_->onRequest(r);
    ASSERT_LE(filter_->trackedSources(), 1000u);
  }
  EXPECT_EQ(filter_->trackedSources(), 1000u);
  clock_.advance(seconds(60));
  filter_->expire(clock_.now());
  EXPECT_EQ(filter_->trackedSources(), 0u);
}

TEST_F(ScannerFilterTest, ExpireKeepsActiveSources) {
  sendFrom("203.0.113.5", Msg{});
  clock_.advance(seconds(30));
  sendFrom("203.0.113.6", Msg{});
  clock_.advance(seconds(30));
  filter_->expire(clock_.now());
  EXPECT_EQ(filter_->trackedSources(), 1u);
}

}  // namespace
}  // namespace tg::guard::scanner
