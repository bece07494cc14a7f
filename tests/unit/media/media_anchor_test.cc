// The media relay as the B2BUA's offer/answer processor and call observer
// (media/media_anchor.h): per-leg addresses, re-offers keep their ports, zones that opt out,
// refusals, the counters in the call record and the inactivity check.

#include "media/media_anchor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "config/config_loader.h"
#include "media_test_util.h"

namespace tg::media {
namespace {

// 50 port pairs of its own for each test process (ctest runs them two at a time), below the
// ephemeral ports.
uint16_t rangeBase() { return static_cast<uint16_t>(20000 + (::getpid() % 90) * 100); }

using b2bua::BodyDecision;
using b2bua::Side;

constexpr const char* kConfig = R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.2:5060" ]
  providers:
    - name: carrier-a
      host: 127.0.0.3
      transport: udp
      allow_plaintext: true
media:
  port_min: 24200
  port_max: 24299
  timeout_s: 2
)";

const std::string kOffer =
    "v=0\r\no=pbx 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
    "m=audio 10000 RTP/AVP 0\r\na=sendrecv\r\n";
const std::string kAnswer =
    "v=0\r\no=carrier 9 9 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n"
    "m=audio 3456 RTP/AVP 0\r\n";

config::ConfigPtr load(const std::string& extra = "") {
  auto r = config::loadConfigString(std::string(kConfig) + extra, "test.yaml");
  EXPECT_TRUE(r.ok());
  return r.config;
}

class MediaAnchorTest : public ::testing::Test {
 protected:
  MediaAnchorTest() {
    call_.id = 7;
    call_.uuid = "call-7";
    call_.zoneA = transport::Zone::kPbx;
    call_.zoneB = transport::Zone::kTrunk;
    call_.provider = "carrier-a";
    EXPECT_EQ(engine_.start(), "");
  }
  b2bua::SessionBody sdp(const std::string& s) { return {"application/sdp", s}; }

  config::ConfigPtr config_ = load();
  RelayEngine engine_{rangeBase(), static_cast<uint16_t>(rangeBase() + 99), 1};
  b2bua::Call call_;
};

uint16_t portOf(const std::string& body) {
  const size_t at = body.find("m=audio ");
  return static_cast<uint16_t>(std::stoi(body.substr(at + 8)));
}

TEST_F(MediaAnchorTest, EachLegSeesTheRelayOnItsOwnZonesAddress) {
  MediaAnchor anchor(engine_, *config_);
  const BodyDecision offer = anchor.offer(call_, Side::kA, sdp(kOffer));
  ASSERT_EQ(offer.kind, BodyDecision::Kind::kReplace) << offer.text;
  EXPECT_NE(offer.text.find("c=IN IP4 127.0.0.2\r\n"), std::string::npos) << offer.text;
  EXPECT_EQ(offer.text.find("10.0.0.5"), std::string::npos);
  const BodyDecision answer = anchor.answer(call_, Side::kB, sdp(kAnswer));
  ASSERT_EQ(answer.kind, BodyDecision::Kind::kReplace) << answer.text;
  EXPECT_NE(answer.text.find("c=IN IP4 127.0.0.1\r\n"), std::string::npos) << answer.text;
  EXPECT_EQ(answer.text.find("198.51.100.9"), std::string::npos);
  EXPECT_NE(portOf(offer.text), portOf(answer.text));  // a pair per leg
  EXPECT_EQ(anchor.callCount(), 1u);
}

TEST_F(MediaAnchorTest, AReOfferKeepsThePortsAndHoldPasses) {
  MediaAnchor anchor(engine_, *config_);
  const BodyDecision first = anchor.offer(call_, Side::kA, sdp(kOffer));
  anchor.answer(call_, Side::kB, sdp(kAnswer));
  const size_t free = engine_.freePortPairs();
  std::string hold = kOffer;
  hold.replace(hold.find("a=sendrecv"), 10, "a=sendonly");
  const BodyDecision reoffer = anchor.offer(call_, Side::kA, sdp(hold));
  ASSERT_EQ(reoffer.kind, BodyDecision::Kind::kReplace);
  EXPECT_EQ(portOf(reoffer.text), portOf(first.text));
  EXPECT_NE(reoffer.text.find("a=sendonly"), std::string::npos);
  // A re-INVITE from B (UPDATE alike) is answered on A's side with A's pair, unchanged too.
  const BodyDecision fromB = anchor.offer(call_, Side::kB, sdp(kAnswer));
  const BodyDecision answerA = anchor.answer(call_, Side::kA, sdp(kOffer));
  EXPECT_EQ(portOf(answerA.text), portOf(first.text));
  EXPECT_EQ(engine_.freePortPairs(), free);
  // An added stream takes a new pair per leg.
  const BodyDecision two =
      anchor.offer(call_, Side::kA, sdp(kOffer + "m=video 10002 RTP/AVP 96\r\n"));
  ASSERT_EQ(two.kind, BodyDecision::Kind::kReplace) << two.text;
  EXPECT_EQ(engine_.freePortPairs(), free - 2);
  (void)fromB;
}

TEST_F(MediaAnchorTest, TheEndOfTheCallClosesItsStreamsAndFillsTheRecord) {
  MediaAnchor anchor(engine_, *config_);
  const size_t free = engine_.freePortPairs();
  anchor.offer(call_, Side::kA, sdp(kOffer));
  EXPECT_EQ(engine_.freePortPairs(), free - 2);
  b2bua::CallRecord record;
  record.callId = call_.id;
  anchor.onEnding(record);
  EXPECT_TRUE(record.media.relayed);
  EXPECT_EQ(record.media.packetsAtoB, 0u);
  EXPECT_EQ(anchor.callCount(), 0u);
  for (int i = 0; i < 100 && engine_.freePortPairs() != free; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(engine_.freePortPairs(), free);
}

TEST_F(MediaAnchorTest, AZoneThatOptsOutKeepsItsSdpAndOtherBodiesPass) {
  const auto optOut = load("  pbx: { anchor: false }\n");
  MediaAnchor anchor(engine_, *optOut);
  EXPECT_EQ(anchor.offer(call_, Side::kA, sdp(kOffer)).kind, BodyDecision::Kind::kKeep);
  MediaAnchor anchored(engine_, *config_);
  EXPECT_EQ(anchored.offer(call_, Side::kA, {"application/dtmf-relay", "Signal=1"}).kind,
            BodyDecision::Kind::kKeep);
}

TEST_F(MediaAnchorTest, WhatCannotBeAnchoredIsRefusedAndOpensNothing) {
  MediaAnchor anchor(engine_, *config_);
  const size_t free = engine_.freePortPairs();
  const BodyDecision bad = anchor.offer(call_, Side::kA, sdp("v=0\r\nm=nonsense\r\n"));
  EXPECT_TRUE(bad.refused());
  EXPECT_NE(bad.text.find("malformed SDP"), std::string::npos) << bad.text;
  const BodyDecision multipart =
      anchor.offer(call_, Side::kA, {"multipart/mixed;boundary=x", "--x--"});
  EXPECT_TRUE(multipart.refused());
  EXPECT_EQ(engine_.freePortPairs(), free);
}

TEST_F(MediaAnchorTest, CodecsAZoneDoesNotAllowLeaveTheOfferOrRefuseIt) {
  const auto limited = load("  trunk: { codecs: [ PCMA ] }\n");
  MediaAnchor anchor(engine_, *limited);
  const BodyDecision onlyPcmu = anchor.offer(call_, Side::kA, sdp(kOffer));
  ASSERT_TRUE(onlyPcmu.refused());
  EXPECT_NE(onlyPcmu.text.find("no allowed codec"), std::string::npos) << onlyPcmu.text;
  std::string both = kOffer;
  both.replace(both.find("RTP/AVP 0"), 9, "RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000");
  const BodyDecision filtered = anchor.offer(call_, Side::kA, sdp(both));
  ASSERT_EQ(filtered.kind, BodyDecision::Kind::kReplace) << filtered.text;
  EXPECT_NE(filtered.text.find(" RTP/AVP 8 101\r\n"), std::string::npos) << filtered.text;
}

// The answer goes through the allowlist too: a callee answering only with a codec a zone does
// not allow is refused (the B2BUA then ends its leg and answers 488), with nothing half done.
TEST_F(MediaAnchorTest, AnAnswerWithNoAllowedCodecIsRefused) {
  const auto limited = load("  trunk: { codecs: [ PCMA ] }\n");
  MediaAnchor anchor(engine_, *limited);
  std::string both = kOffer;
  both.replace(both.find("RTP/AVP 0"), 9, "RTP/AVP 0 8");
  ASSERT_EQ(anchor.offer(call_, Side::kA, sdp(both)).kind, BodyDecision::Kind::kReplace);
  const BodyDecision pcmu = anchor.answer(call_, Side::kB, sdp(kAnswer));
  ASSERT_TRUE(pcmu.refused());
  EXPECT_NE(pcmu.text.find("no allowed codec"), std::string::npos) << pcmu.text;
  std::string pcma = kAnswer;
  pcma.replace(pcma.find("RTP/AVP 0"), 9, "RTP/AVP 8");
  EXPECT_EQ(anchor.answer(call_, Side::kB, sdp(pcma)).kind, BodyDecision::Kind::kReplace);
}

TEST_F(MediaAnchorTest, ASilentCallIsReportedAfterTheTimeout) {
  MediaAnchor anchor(engine_, *config_);
  anchor.offer(call_, Side::kA, sdp(kOffer));
  b2bua::CallRecord record;
  record.callId = call_.id;
  const int64_t now = RelayEngine::nowMs();
  EXPECT_TRUE(anchor.silentCalls(now + 2500).empty());  // ringing: not the media timeout's
  anchor.onAnswered(record);
  EXPECT_TRUE(anchor.silentCalls(now).empty());
  EXPECT_EQ(anchor.silentCalls(now + 2500), std::vector<uint64_t>{7});
  // On hold the wait is five times longer.
  std::string hold = kOffer;
  hold.replace(hold.find("a=sendrecv"), 10, "a=inactive");
  anchor.offer(call_, Side::kA, sdp(hold));
  EXPECT_TRUE(anchor.silentCalls(now + 2500).empty());
  EXPECT_EQ(anchor.silentCalls(now + 10500), std::vector<uint64_t>{7});
}

// Keeps every security event.
class Events final : public guard::EventSink {
 public:
  void record(guard::SecurityEvent event) override { events.push_back(std::move(event)); }
  std::vector<guard::SecurityEvent> events;
};

// A stream above the packet-rate ceiling is reported once per call, however long the flood
// lasts, as a security event naming the call, the leg's zone and its peer's address.
TEST_F(MediaAnchorTest, ACallAboveTheRateCeilingIsReportedOnce) {
  const auto limited = load("  max_packets_per_s: 10\n  probation_packets: 1\n");
  MediaAnchor anchor(engine_, *limited);
  Events sink;
  anchor.setEventSink(&sink);
  test::Peer pbx;
  test::Peer provider;
  std::string offer = kOffer;
  offer.replace(offer.find("10.0.0.5"), 8, "127.0.0.1");
  offer.replace(offer.find("10.0.0.5"), 8, "127.0.0.1");
  offer.replace(offer.find("m=audio 10000"), 13, "m=audio " + std::to_string(pbx.address.port()));
  std::string answer = kAnswer;
  answer.replace(answer.find("198.51.100.9"), 12, "127.0.0.1");
  answer.replace(answer.find("198.51.100.9"), 12, "127.0.0.1");
  answer.replace(answer.find("m=audio 3456"), 12,
                 "m=audio " + std::to_string(provider.address.port()));
  ASSERT_EQ(anchor.offer(call_, Side::kA, sdp(offer)).kind, BodyDecision::Kind::kReplace);
  const BodyDecision toA = anchor.answer(call_, Side::kB, sdp(answer));
  ASSERT_EQ(toA.kind, BodyDecision::Kind::kReplace) << toA.text;
  EXPECT_EQ(anchor.reportOverRate(), 0u);  // nothing sent yet
  const base::Address relayA = test::loopback(portOf(toA.text));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto rtp = [](uint16_t seq) {
    std::vector<uint8_t> p(172, 0x55);
    p[0] = 0x80;
    p[1] = 0;  // PCMU (the fill byte would read as an RTCP packet type)
    p[2] = static_cast<uint8_t>(seq >> 8);
    p[3] = static_cast<uint8_t>(seq);
    p[8] = 0x11;  // SSRC
    return p;
  };
  for (uint16_t seq = 1; seq <= 40; ++seq) pbx.send(relayA, rtp(seq));
  EXPECT_FALSE(provider.receive(300).empty());
  EXPECT_EQ(anchor.reportOverRate(), 1u);
  ASSERT_EQ(sink.events.size(), 1u);
  const guard::SecurityEvent& e = sink.events[0];
  EXPECT_EQ(e.rule, "media.rate_ceiling");
  EXPECT_EQ(e.action, "drop");
  EXPECT_EQ(e.zone, transport::Zone::kPbx);
  EXPECT_EQ(e.source, pbx.address);
  EXPECT_NE(e.reason.find("call-7"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("leg A"), std::string::npos) << e.reason;
  // The flood goes on: no second event, neither on the next tick nor at the call's end.
  for (uint16_t seq = 41; seq <= 80; ++seq) pbx.send(relayA, rtp(seq));
  provider.receive(300);
  EXPECT_EQ(anchor.reportOverRate(), 0u);
  b2bua::CallRecord record;
  record.callId = call_.id;
  anchor.onEnding(record);
  EXPECT_EQ(sink.events.size(), 1u);
  EXPECT_GT(record.media.overRateDropped, 40u);
}

// A call within its ceilings raises nothing.
TEST_F(MediaAnchorTest, ACallWithinItsCeilingsIsNotReported) {
  MediaAnchor anchor(engine_, *config_);
  Events sink;
  anchor.setEventSink(&sink);
  anchor.offer(call_, Side::kA, sdp(kOffer));
  anchor.answer(call_, Side::kB, sdp(kAnswer));
  EXPECT_EQ(anchor.reportOverRate(), 0u);
  b2bua::CallRecord record;
  record.callId = call_.id;
  anchor.onEnding(record);
  EXPECT_TRUE(sink.events.empty());
}

}  // namespace
}  // namespace tg::media
