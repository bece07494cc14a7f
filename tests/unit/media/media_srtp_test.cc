// SRTP through the relay as the B2BUA drives it (media_anchor.h with sdes_leg.h and
// srtp_transform.h), with real packets on loopback: a plain PBX and an SRTP provider hear each
// other bit-exact; the provider only ever receives SRTP under trunkguard's key for its leg; a
// replayed or forged packet is dropped and counted; the modes resolve per zone and provider.

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <thread>

#include "config/config_loader.h"
#include "media/media_anchor.h"
#include "media/srtp/srtp_session.h"
#include "media_test_util.h"

namespace tg::media {
namespace {

using b2bua::BodyDecision;
using b2bua::Side;
using srtp::CryptoAttribute;
using test::loopback;
using test::Peer;
using test::rangeBase;

std::string config(const std::string& providerExtra, const std::string& mediaExtra = "") {
  return "pbx:\n  listen: [ \"udp://127.0.0.1:5070\" ]\n"
         "  targets: [ { host: 127.0.0.1, port: 5080 } ]\n"
         "trunk:\n  listen: [ \"udp://127.0.0.1:5060\" ]\n  providers:\n"
         "    - name: carrier-a\n      host: 127.0.0.3\n      transport: udp\n"
         "      allow_plaintext: true\n" +
         providerExtra + "media:\n  port_min: 24200\n  port_max: 24299\n" + mediaExtra;
}

config::ConfigPtr load(const std::string& text) {
  auto r = config::loadConfigString(text, "test.yaml");
  EXPECT_TRUE(r.ok());
  return r.config;
}

std::string sdpAt(const base::Address& at, const std::string& proto,
                  const std::string& crypto = "") {
  std::string s =
      "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio " +
      std::to_string(at.port()) + " " + proto + " 0\r\na=rtcp-mux\r\n";
  if (!crypto.empty()) s += "a=crypto:" + crypto + "\r\n";
  return s;
}

uint16_t portOf(const std::string& body) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(body, m, std::regex("m=audio (\\d+) ")));
  return static_cast<uint16_t>(std::stoi(m[1]));
}

std::string firstCrypto(const std::string& body) {
  std::smatch m;
  if (!std::regex_search(body, m, std::regex("a=crypto:([^\r\n]+)"))) return {};
  return m[1];
}

std::vector<uint8_t> rtp(uint16_t seq, uint32_t ssrc) {
  std::vector<uint8_t> p(172);
  p[0] = 0x80;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (size_t i = 12; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 3 + seq);
  return p;
}

class MediaSrtpTest : public ::testing::Test {
 protected:
  MediaSrtpTest() {
    call_.id = 11;
    call_.uuid = "call-11";
    call_.zoneA = transport::Zone::kPbx;
    call_.zoneB = transport::Zone::kTrunk;
    call_.provider = "carrier-a";
    call_.b.callId = "b-leg-1";
    EXPECT_EQ(engine_.start(), "");
  }
  b2bua::SessionBody sdp(const std::string& s) { return {"application/sdp", s}; }

  RelayEngine engine_{rangeBase(), static_cast<uint16_t>(rangeBase() + 99), 1};
  b2bua::Call call_;
};

TEST_F(MediaSrtpTest, PlainPbxAndSrtpProviderHearEachOtherAndReplaysAreDropped) {
  const auto cfg = load(config("      srtp: required\n", "  probation_packets: 1\n"));
  MediaAnchor anchor(engine_, *cfg);
  Peer pbx, provider;

  const BodyDecision offer = anchor.offer(call_, Side::kA, sdp(sdpAt(pbx.address, "RTP/AVP")));
  ASSERT_EQ(offer.kind, BodyDecision::Kind::kReplace) << offer.text;
  EXPECT_NE(offer.text.find("RTP/SAVP"), std::string::npos) << offer.text;
  auto ours = srtp::parseCryptoAttribute(firstCrypto(offer.text));
  ASSERT_TRUE(ours.ok()) << offer.text;

  // The provider answers under the first tag with its own key.
  CryptoAttribute theirs = *ours;
  theirs.key = *srtp::MasterKey::generate(theirs.suite);
  const BodyDecision answer =
      anchor.answer(call_, Side::kB,
                    sdp(sdpAt(provider.address, "RTP/SAVP", srtp::formatCryptoAttribute(theirs))));
  ASSERT_EQ(answer.kind, BodyDecision::Kind::kReplace) << answer.text;
  EXPECT_EQ(answer.text.find("a=crypto"), std::string::npos) << answer.text;
  EXPECT_NE(answer.text.find("RTP/AVP"), std::string::npos) << answer.text;
  const base::Address relayB = loopback(portOf(offer.text));
  const base::Address relayA = loopback(portOf(answer.text));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the commands run

  // PBX -> provider: plain in, SRTP under trunkguard's key out.
  auto providerRx = srtp::SrtpReceiver::create(*ours);
  ASSERT_TRUE(providerRx.ok());
  for (uint16_t seq = 1; seq <= 3; ++seq) pbx.send(relayA, rtp(seq, 0xaaaa0001));
  auto atProvider = provider.receive(300);
  ASSERT_EQ(atProvider.size(), 3u);
  for (size_t i = 0; i < atProvider.size(); ++i) {
    std::vector<uint8_t> packet = atProvider[i];
    EXPECT_EQ(packet.size(), 172u + 10u);  // the 80-bit tag
    size_t length = packet.size();
    ASSERT_EQ(providerRx->unprotectRtp(packet, length), srtp::SrtpStatus::kOk);
    packet.resize(length);
    EXPECT_EQ(packet, rtp(static_cast<uint16_t>(i + 1), 0xaaaa0001));
  }

  // Provider -> PBX: SRTP under the provider's key in, plain out; a replay and a forgery die.
  auto providerTx = srtp::SrtpSender::create(theirs);
  ASSERT_TRUE(providerTx.ok());
  std::vector<std::vector<uint8_t>> protectedPackets;
  for (uint16_t seq = 100; seq < 104; ++seq) {
    std::vector<uint8_t> p = rtp(seq, 0xbbbb0002);
    size_t length = p.size();
    p.resize(p.size() + srtp::kMaxProtectOverhead);
    ASSERT_EQ(providerTx->protectRtp(p, length), srtp::SrtpStatus::kOk);
    p.resize(length);
    protectedPackets.push_back(p);
    provider.send(relayB, p);
  }
  auto atPbx = pbx.receive(300);
  ASSERT_EQ(atPbx.size(), 4u);
  EXPECT_EQ(atPbx[0], rtp(100, 0xbbbb0002));
  EXPECT_EQ(atPbx[3], rtp(103, 0xbbbb0002));
  provider.send(relayB, protectedPackets[1]);  // replayed
  std::vector<uint8_t> forged = protectedPackets[3];
  forged[3] = 0x70;  // sequence changed: the tag no longer matches
  provider.send(relayB, forged);
  EXPECT_TRUE(pbx.receive(300).empty());

  b2bua::CallRecord record;
  record.callId = call_.id;
  anchor.onEnding(record);
  EXPECT_EQ(record.media.unauthenticatedDropped, 2u);
  EXPECT_EQ(record.media.srtpA, "");
  EXPECT_EQ(record.media.srtpB, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(record.media.packetsBtoA, 4u);
}

TEST_F(MediaSrtpTest, RequiredRefusesAPlainOfferWithAReason) {
  const auto cfg = load(config("      srtp: required\n"));
  MediaAnchor anchor(engine_, *cfg);
  Peer provider;
  const size_t free = engine_.freePortPairs();
  const BodyDecision d = anchor.offer(call_, Side::kB, sdp(sdpAt(provider.address, "RTP/AVP")));
  ASSERT_TRUE(d.refused());
  EXPECT_NE(d.text.find("SRTP required"), std::string::npos) << d.text;
  EXPECT_EQ(engine_.freePortPairs(), free);
}

TEST_F(MediaSrtpTest, ModesFollowTheProviderTheZoneAndTheTransport) {
  const auto plain = load(config(""));
  MediaAnchor byTransport(engine_, *plain);
  EXPECT_EQ(byTransport.srtpMode(call_, Side::kA), srtp::SrtpMode::kOff);  // the LAN PBX
  // A plaintext provider: keys would cross in the clear, so SRTP is offered, not insisted on.
  EXPECT_EQ(byTransport.srtpMode(call_, Side::kB), srtp::SrtpMode::kOptional);

  const auto zone = load(config("", "  trunk: { srtp: required }\n  pbx: { srtp: optional }\n"));
  MediaAnchor byZone(engine_, *zone);
  EXPECT_EQ(byZone.srtpMode(call_, Side::kA), srtp::SrtpMode::kOptional);
  EXPECT_EQ(byZone.srtpMode(call_, Side::kB), srtp::SrtpMode::kRequired);

  const auto provider = load(config("      srtp: off\n", "  trunk: { srtp: required }\n"));
  MediaAnchor byProvider(engine_, *provider);
  EXPECT_EQ(byProvider.srtpMode(call_, Side::kB), srtp::SrtpMode::kOff);

  auto bad = config::loadConfigString(config("      srtp: maybe\n"), "test.yaml");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace tg::media
