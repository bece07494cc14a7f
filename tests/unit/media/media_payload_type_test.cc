// Payload-type enforcement through the relay as the B2BUA drives it (media_anchor.h,
// payload_types.h), with real packets on loopback: RTP whose payload type the call's SDP
// listed (the codec and telephone-event) crosses; any other payload type is dropped and
// counted in the call's record; RTCP on an rtcp-mux port crosses whatever its packet type.

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "config/config_loader.h"
#include "media/media_anchor.h"
#include "media_test_util.h"

namespace tg::media {
namespace {

using b2bua::BodyDecision;
using b2bua::Side;
using test::loopback;
using test::Peer;
using test::rangeBase;

config::ConfigPtr load() {
  auto r = config::loadConfigString(
      "pbx:\n  listen: [ \"udp://127.0.0.1:5070\" ]\n"
      "  targets: [ { host: 127.0.0.1, port: 5080 } ]\n"
      "trunk:\n  listen: [ \"udp://127.0.0.1:5060\" ]\n  providers:\n"
      "    - name: carrier-a\n      host: 127.0.0.3\n      transport: udp\n"
      "      allow_plaintext: true\n      srtp: off\n"
      "media:\n  port_min: 24200\n  port_max: 24299\n  probation_packets: 1\n",
      "test.yaml");
  EXPECT_TRUE(r.ok());
  return r.config;
}

// One audio stream with rtcp-mux listing `formats` (PCMU 0, PCMA 8, telephone-event 101).
std::string sdpAt(const base::Address& at, const std::string& formats) {
  return "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(at.port()) + " RTP/AVP " + formats +
         "\r\na=rtpmap:101 telephone-event/8000\r\na=rtcp-mux\r\n";
}

uint16_t portOf(const std::string& body) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(body, m, std::regex("m=audio (\\d+) ")));
  return static_cast<uint16_t>(std::stoi(m[1]));
}

std::vector<uint8_t> rtp(uint16_t seq, uint8_t payloadType, bool marker = false) {
  std::vector<uint8_t> p(172);
  p[0] = 0x80;
  p[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | payloadType);
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[8] = 0x12;  // SSRC 0x12000001
  p[11] = 0x01;
  for (size_t i = 12; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i + seq);
  return p;
}

// An RTCP receiver report (RFC 3550 §6.4.2) with no report blocks: packet type 201.
std::vector<uint8_t> rtcpReceiverReport() {
  return {0x80, 201, 0x00, 0x01, 0x12, 0x00, 0x00, 0x01};
}

TEST(MediaPayloadTypeTest, OnlyNegotiatedPayloadTypesCrossAndRtcpPasses) {
  RelayEngine engine{rangeBase(), static_cast<uint16_t>(rangeBase() + 99), 1};
  ASSERT_EQ(engine.start(), "");
  b2bua::Call call;
  call.id = 21;
  call.uuid = "call-21";
  call.zoneA = transport::Zone::kPbx;
  call.zoneB = transport::Zone::kTrunk;
  call.provider = "carrier-a";
  call.b.callId = "b-leg-21";
  const auto cfg = load();
  MediaAnchor anchor(engine, *cfg);
  Peer pbx, provider;

  const BodyDecision offer =
      anchor.offer(call, Side::kA, {"application/sdp", sdpAt(pbx.address, "0 101")});
  ASSERT_EQ(offer.kind, BodyDecision::Kind::kReplace) << offer.text;
  const BodyDecision answer =
      anchor.answer(call, Side::kB, {"application/sdp", sdpAt(provider.address, "0 101")});
  ASSERT_EQ(answer.kind, BodyDecision::Kind::kReplace) << answer.text;
  const base::Address relayA = loopback(portOf(answer.text));
  const base::Address relayB = loopback(portOf(offer.text));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the commands run

  // PBX -> provider: PCMU, a DTMF event (with the marker bit) and RTCP cross; PCMA (8) and
  // G.729 (18), which neither side listed, do not.
  pbx.send(relayA, rtp(1, 0));
  pbx.send(relayA, rtp(2, 101, true));
  pbx.send(relayA, rtp(3, 8));
  pbx.send(relayA, rtp(4, 18, true));
  pbx.send(relayA, rtp(5, 0));
  pbx.send(relayA, rtcpReceiverReport());
  const auto atProvider = provider.receive(300);
  ASSERT_EQ(atProvider.size(), 4u);
  EXPECT_EQ(atProvider[0], rtp(1, 0));
  EXPECT_EQ(atProvider[1], rtp(2, 101, true));
  EXPECT_EQ(atProvider[2], rtp(5, 0));
  EXPECT_EQ(atProvider[3], rtcpReceiverReport());

  // Provider -> PBX: the same rule the other way (a payload type 96 nobody offered).
  provider.send(relayB, rtp(10, 0));
  provider.send(relayB, rtp(11, 96));
  const auto atPbx = pbx.receive(300);
  ASSERT_EQ(atPbx.size(), 1u);
  EXPECT_EQ(atPbx[0], rtp(10, 0));

  b2bua::CallRecord record;
  record.callId = call.id;
  anchor.onEnding(record);
  EXPECT_EQ(record.media.payloadTypeDropped, 3u);
  EXPECT_EQ(record.media.foreignDropped, 0u);
  EXPECT_EQ(record.media.packetsAtoB, 4u);
  EXPECT_EQ(record.media.packetsBtoA, 1u);
}

TEST(MediaPayloadTypeTest, PayloadTypesParseFromFormatsAndMarkerBitIsNotPartOfTheType) {
  const std::vector<std::string> formats = {"0", "101", "127", "128", "x", ""};
  const PayloadTypes set = PayloadTypes::of(formats);
  EXPECT_TRUE(set.contains(0));
  EXPECT_TRUE(set.contains(101));
  EXPECT_TRUE(set.contains(127));
  EXPECT_FALSE(set.contains(8));
  const PayloadTypes none;
  const uint8_t marked[2] = {0x80, 0x80 | 101};
  EXPECT_TRUE(payloadTypeAllowed(marked, 2, none, set));
  const uint8_t pcma[2] = {0x80, 8};
  EXPECT_FALSE(payloadTypeAllowed(pcma, 2, set, none));
  EXPECT_TRUE(payloadTypeAllowed(pcma, 2, none, none));  // nothing listed yet
}

}  // namespace
}  // namespace tg::media
