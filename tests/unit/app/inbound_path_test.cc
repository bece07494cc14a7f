// The inbound path as ordered stages (admit, keep-alive, parse, validate, guard, hops, dispatch):
// where each kind of packet leaves it, that an earlier stage wins over a later one, that every
// stateless answer goes out with its code, and (through a whole worker) that the guard records
// that code.

#include "app/inbound_path.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "../config/config_test_util.h"
#include "app/gateway.h"
#include "config/config_loader.h"
#include "guard/ban/ban_list.h"

namespace tg::app {
namespace {

using Stage = InboundPath::Stage;

// The minimal configuration (config_test_util.h) and what this suite adds to it.
const std::string kConfig = std::string(config::kMinimalConfig) + R"(public:
  listen: [ "udp://127.0.0.1:5090" ]
b2bua: { user_agent: "trunkguard-test" }
health: { interval_ms: 0 }
)";

config::ConfigPtr loadConfig(const std::string& extra = "") {
  const config::LoadResult r = config::loadConfigString(std::string(kConfig) + extra, "t.yaml");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  return r.config;
}

struct RequestText {
  std::string method = "OPTIONS";
  std::string callId = "call-1@198.51.100.7";
  std::string maxForwards = "70";
  std::string userAgent;
  bool twoCallIds = false;  // malformed: the validator answers 400

  std::string build() const {
    std::string t = method + " sip:100@192.0.2.10 SIP/2.0\r\n";
    t += "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK" + callId.substr(0, 6) + ";rport\r\n";
    t += "Max-Forwards: " + maxForwards + "\r\n";
    t += "From: <sip:scan@198.51.100.7>;tag=f1\r\nTo: <sip:100@192.0.2.10>\r\n";
    t += "Call-ID: " + callId + "\r\n";
    if (twoCallIds) t += "Call-ID: other@198.51.100.7\r\n";
    t += "CSeq: 1 " + method + "\r\n";
    if (!userAgent.empty()) t += "User-Agent: " + userAgent + "\r\n";
    return t + "Content-Length: 0\r\n\r\n";
  }
};

std::string validOptions() { return RequestText{}.build(); }

// Two Call-IDs: the validator answers 400.
std::string broken(std::string callId = "call-1@198.51.100.7") {
  RequestText r;
  r.callId = std::move(callId);
  r.twoCallIds = true;
  return r.build();
}

// An INVITE with Max-Forwards 0, from SIPVicious when `scanner`.
std::string noHopsLeft(bool scanner = false) {
  RequestText r;
  r.method = "INVITE";
  r.maxForwards = "0";
  if (scanner) r.userAgent = "friendly-scanner";
  return r.build();
}

std::string fromScanner() {
  RequestText r;
  r.userAgent = "friendly-scanner";
  return r.build();
}

// A STUN Binding request (RFC 8489 §6) with no attributes.
std::string stunBindingRequest() {
  std::string s("\x00\x01\x00\x00\x21\x12\xa4\x42", 8);
  return s + std::string(12, '\x07');
}

transport::Packet packetOf(std::string bytes, base::TimePoint at,
                           std::string_view ip = "198.51.100.7") {
  transport::Packet p;
  p.bytes = std::move(bytes);
  p.source = *base::Address::parse(ip, 5060);
  p.local = *base::Address::parse("127.0.0.1", 5090);
  p.transport = config::TransportKind::kUdp;
  p.zone = transport::Zone::kPublic;
  p.received = at;
  return p;
}

struct Out {
  int status = 0;  // 0: sent with send()
  std::string bytes;
};

class RecordingSender final : public transaction::Sender {
 public:
  void send(const transport::SendTarget&, std::string bytes) override {
    sent.push_back({0, std::move(bytes)});
  }
  void sendResponse(const transport::SendTarget&, int status, std::string bytes) override {
    sent.push_back({status, std::move(bytes)});
  }
  std::vector<Out> sent;
};

class RecordingWorker final : public Worker {
 public:
  asio::io_context& io() override { return io_; }
  void receive(std::unique_ptr<sip::Message> message, const transport::Packet&, bool) override {
    received.push_back(std::move(message));
  }
  bool knowsDialog(transport::Zone, std::string_view, std::string_view) const override {
    return false;
  }
  void sendOnOwnConnection(const transport::SendTarget&, std::string) override {}
  void onSendError(const transport::SendTarget&) override {}

  std::vector<std::unique_ptr<sip::Message>> received;

 private:
  asio::io_context io_;
};

class InboundPathTest : public testing::Test {
 protected:
  explicit InboundPathTest(const std::string& extra = "")
      : config_(loadConfig(extra)),
        bans_(clock_, guard::BanPolicy::from(config_->guard.bans)),
        guard_(config_, nullptr, bans_, nullptr, clock_),
        peers_(Shard{0, 1}),
        path_(config_, guard_, sender_, worker_, peers_, clock_) {}

  Stage feed(std::string bytes, std::string_view ip = "198.51.100.7") {
    clock_.advance(std::chrono::seconds(1));  // below every rate limit
    return path_.onPacket(packetOf(std::move(bytes), clock_.now(), ip));
  }

  base::ManualClock clock_;
  config::ConfigPtr config_;
  guard::BanList bans_;
  guard::Guard guard_;
  RecordingSender sender_;
  RecordingWorker worker_;
  WorkerPeers peers_;
  InboundPath path_;
};

TEST_F(InboundPathTest, AValidRequestPassesEveryStageToTheTransactionLayer) {
  EXPECT_EQ(feed(validOptions()), Stage::kDispatch);
  ASSERT_EQ(worker_.received.size(), 1u);
  EXPECT_EQ(worker_.received[0]->method(), sip::Method::kOptions);
  EXPECT_TRUE(sender_.sent.empty());
  EXPECT_EQ(path_.stats().received, 1u);
  EXPECT_EQ(guard_.filterStats()[guard::FilterId::kScanner].passed, 1u);
  EXPECT_EQ(guard_.filterStats()[guard::FilterId::kRateLimit].passed, 1u);
}

TEST_F(InboundPathTest, EachKindOfPacketLeavesAtItsStage) {
  bans_.ban(*base::Address::parse("203.0.113.9", 0), "test", "banned for the test",
            guard::BanOrigin::kManual, clock_.now());
  EXPECT_EQ(feed(validOptions(), "203.0.113.9"), Stage::kAdmit);
  EXPECT_EQ(feed(stunBindingRequest()), Stage::kKeepAlive);
  EXPECT_EQ(feed("hello, not SIP"), Stage::kParse);
  EXPECT_EQ(feed(broken()), Stage::kValidate);
  EXPECT_EQ(feed(fromScanner(), "198.51.100.8"), Stage::kGuard);
  EXPECT_EQ(feed(noHopsLeft()), Stage::kHops);
  EXPECT_TRUE(worker_.received.empty());

  const GatewayStats& s = path_.stats();
  EXPECT_EQ(s.received, 6u);
  EXPECT_EQ(s.sourceDropped, 1u);
  EXPECT_EQ(s.stunKeepAlives, 1u);
  EXPECT_EQ(s.parseDropped, 1u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.guardBlocked, 1u);
}

TEST_F(InboundPathTest, StatelessAnswersGoOutWithTheirCode) {
  feed(stunBindingRequest());
  feed(broken());
  feed(noHopsLeft());
  ASSERT_EQ(sender_.sent.size(), 3u);
  EXPECT_EQ(sender_.sent[0].status, 0) << "a STUN answer carries no SIP code";
  EXPECT_EQ(sender_.sent[1].status, 400);
  EXPECT_EQ(sender_.sent[1].bytes.rfind("SIP/2.0 400 ", 0), 0u) << sender_.sent[1].bytes;
  EXPECT_EQ(sender_.sent[2].status, 483);
  EXPECT_EQ(sender_.sent[2].bytes.rfind("SIP/2.0 483 Too Many Hops\r\n", 0), 0u);
  EXPECT_NE(sender_.sent[2].bytes.find("\r\nServer: trunkguard-test\r\n"), std::string::npos);
}

// An earlier stage decides before a later one: a banned source's broken request gets silence
// (no 400), and a scanner's Max-Forwards 0 INVITE is dropped by the guard, never answered 483.
TEST_F(InboundPathTest, AnEarlierStageWins) {
  bans_.ban(*base::Address::parse("203.0.113.9", 0), "test", "banned for the test",
            guard::BanOrigin::kManual, clock_.now());
  EXPECT_EQ(feed(broken(), "203.0.113.9"), Stage::kAdmit);
  EXPECT_EQ(feed(noHopsLeft(/*scanner=*/true)), Stage::kGuard);
  EXPECT_TRUE(sender_.sent.empty());
  EXPECT_EQ(path_.stats().guardBlocked, 1u);
}

class InboundPathNoBansTest : public InboundPathTest {
 protected:
  InboundPathNoBansTest() : InboundPathTest("guard: { bans: { enabled: false } }\n") {}
};

// The validator's refusal meets the guard before it is answered: a flagged scanner (not banned
// here, so it gets past admit) has its broken request dropped, not answered 400.
TEST_F(InboundPathNoBansTest, ARefusedRequestMeetsTheGuardBeforeItsAnswer) {
  EXPECT_EQ(feed(fromScanner()), Stage::kGuard);
  EXPECT_EQ(feed(broken()), Stage::kValidate);
  EXPECT_TRUE(sender_.sent.empty());
  EXPECT_EQ(path_.stats().rejected, 0u);
  EXPECT_EQ(path_.stats().guardBlocked, 2u);
  EXPECT_EQ(guard_.filterStats()[guard::FilterId::kScanner].blocked, 2u);
}

TEST_F(InboundPathTest, TheStagesAreNamedInPathOrder) {
  std::vector<std::string_view> names;
  for (int s = 0; s <= static_cast<int>(Stage::kDispatch); ++s) {
    names.push_back(stageName(static_cast<Stage>(s)));
  }
  EXPECT_EQ(names, (std::vector<std::string_view>{"admit", "keep-alive", "parse", "validate",
                                                  "guard", "hops", "dispatch"}));
}

class InboundPathShadowTest : public InboundPathTest {
 protected:
  InboundPathShadowTest() : InboundPathTest("guard: { scanner: { enforce: false } }\n") {}
};

TEST_F(InboundPathShadowTest, AShadowFilterLetsThePacketThroughAndCountsIt) {
  EXPECT_EQ(feed(fromScanner()), Stage::kDispatch);
  const guard::FilterStats& scanner = guard_.filterStats()[guard::FilterId::kScanner];
  EXPECT_EQ(scanner.shadowBlocked, 1u);
  EXPECT_EQ(scanner.blocked, 0u);
  EXPECT_EQ(scanner.passed, 0u);
  EXPECT_EQ(guard_.stats().shadowed, 1u);
  EXPECT_EQ(path_.stats().guardBlocked, 0u);
}

// Through a whole worker: the 400s the path answers reach the guard's scanner with their code,
// so a source whose requests are mostly refused is flagged (scanner.failure_ratio) on the next.
TEST(GatewayInboundPath, TheCodeOfAStatelessAnswerReachesTheGuard) {
  asio::io_context io;
  base::ManualClock clock;
  const config::ConfigPtr config = loadConfig("guard: { rate_limit: { enabled: false } }\n");
  Gateway gateway(io, config, nullptr, clock);
  const int answers = config->guard.scanner.minResponsesForRatio;
  for (int i = 0; i < answers; ++i) {
    const std::string request = broken("call-" + std::to_string(i) + "@198.51.100.7");
    EXPECT_EQ(gateway.inbound().onPacket(packetOf(request, clock.now())), Stage::kValidate);
  }
  EXPECT_EQ(gateway.stats().rejected, static_cast<uint64_t>(answers));
  EXPECT_EQ(gateway.guard().filterStats()[guard::FilterId::kScanner].blocked, 0u);

  EXPECT_EQ(gateway.inbound().onPacket(packetOf(validOptions(), clock.now())), Stage::kGuard);
  EXPECT_EQ(gateway.guard().filterStats()[guard::FilterId::kScanner].blocked, 1u);
  EXPECT_EQ(gateway.guard().filterStats()[guard::FilterId::kScanner].passed,
            static_cast<uint64_t>(answers));
  EXPECT_EQ(gateway.stats().guardBlocked, 1u);
}

}  // namespace
}  // namespace tg::app
