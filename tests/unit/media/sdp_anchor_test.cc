// The offer/answer rewriting (media/sdp_anchor.h): what crosses and what is refused.

#include "media/sdp_anchor.h"

#include <gtest/gtest.h>

namespace tg::media {
namespace {

const std::string kPbxOffer =
    "v=0\r\n"
    "o=asterisk 1000 2000 IN IP4 10.0.0.5\r\n"
    "s=call\r\n"
    "u=http://pbx.internal/\r\n"
    "e=admin@pbx.internal\r\n"
    "c=IN IP4 10.0.0.5\r\n"
    "t=0 0\r\n"
    "a=ice-lite\r\n"
    "m=audio 10000 RTP/AVP 0 101\r\n"
    "c=IN IP4 10.0.0.6\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=rtcp:10001 IN IP4 10.0.0.6\r\n"
    "a=candidate:1 1 UDP 2130706431 10.0.0.6 10000 typ host\r\n"
    "a=ice-ufrag:abcd\r\n"
    "a=ice-pwd:efghijklmnopqrstuvwxyz12\r\n"
    "a=sendrecv\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n";

base::Address ip(const char* text, uint16_t port = 0) { return *base::Address::parse(text, port); }

std::string anchorFor(const std::string& body, const base::Address& local,
                      std::vector<LocalPorts> ports, std::vector<PeerMedia>* peersOut = nullptr) {
  sip::SessionDescription sdp;
  std::vector<PeerMedia> peers;
  const std::string why = readForAnchoring(body, sdp, peers);
  EXPECT_EQ(why, "");
  if (peersOut != nullptr) *peersOut = peers;
  return rewriteForLeg(sdp, local, ports);
}

TEST(SdpAnchor, TheOtherLegSeesOnlyTheRelaysAddressAndPorts) {
  std::vector<PeerMedia> peers;
  const std::string out = anchorFor(kPbxOffer, ip("203.0.113.5"), {{20000, 20001}, {0, 0}}, &peers);
  EXPECT_EQ(out.find("10.0.0."), std::string::npos) << out;
  EXPECT_EQ(out.find("pbx.internal"), std::string::npos) << out;
  EXPECT_EQ(out.find("candidate"), std::string::npos) << out;
  EXPECT_EQ(out.find("ice-"), std::string::npos) << out;
  EXPECT_NE(out.find("o=- 1000 2000 IN IP4 203.0.113.5\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("c=IN IP4 203.0.113.5\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("m=audio 20000 RTP/AVP 0 101\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=rtcp:20001\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=rtpmap:101 telephone-event/8000\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=sendrecv\r\n"), std::string::npos) << out;
  // RFC 3264 §8.2: a disabled stream stays in place with port 0.
  EXPECT_NE(out.find("m=video 0 RTP/AVP 96\r\n"), std::string::npos) << out;

  ASSERT_EQ(peers.size(), 2u);
  EXPECT_TRUE(peers[0].enabled);
  EXPECT_EQ(peers[0].rtp, ip("10.0.0.6", 10000));  // the media-level c= wins
  EXPECT_EQ(peers[0].rtcp, ip("10.0.0.6", 10001));
  EXPECT_FALSE(peers[1].enabled);
}

TEST(SdpAnchor, RtcpMuxPassesAndRtcpGoesToTheRtpAddress) {
  std::vector<PeerMedia> peers;
  const std::string out = anchorFor(
      "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 8\r\na=rtcp-mux\r\n",
      ip("10.1.1.1"), {{20002, 20003}}, &peers);
  EXPECT_NE(out.find("a=rtcp-mux\r\n"), std::string::npos) << out;
  EXPECT_TRUE(peers[0].rtcpMux);
  EXPECT_EQ(peers[0].rtcp, ip("198.51.100.7", 4000));
}

TEST(SdpAnchor, HoldPassesAndAnOldStyleHoldHasNoPeerAddress) {
  std::vector<PeerMedia> peers;
  const std::string out = anchorFor(
      "v=0\r\no=- 1 2 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 8\r\na=sendonly\r\n",
      ip("10.1.1.1"), {{20002, 20003}}, &peers);
  EXPECT_NE(out.find("a=sendonly\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("c=IN IP4 10.1.1.1\r\n"), std::string::npos) << out;
  EXPECT_FALSE(peers[0].enabled);
}

TEST(SdpAnchor, IPv6RelayAddress) {
  const std::string out = anchorFor(
      "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 8\r\n",
      ip("2001:db8::5"), {{20002, 20003}});
  EXPECT_NE(out.find("o=- 1 1 IN IP6 2001:db8::5\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("c=IN IP6 2001:db8::5\r\n"), std::string::npos) << out;
}

std::string refusal(const std::string& body) {
  sip::SessionDescription sdp;
  std::vector<PeerMedia> peers;
  return readForAnchoring(body, sdp, peers);
}

TEST(SdpAnchor, WhatCannotBeRewrittenIsRefusedWithAReason) {
  const std::string head = "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nt=0 0\r\n";
  EXPECT_NE(refusal("not sdp at all").find("malformed SDP"), std::string::npos);
  EXPECT_EQ(refusal(head + "c=IN IP4 198.51.100.7\r\nm=image 4000 udptl t38\r\n"),
            "media transport 'udptl' is not relayed (RTP/AVP, AVPF, SAVP, SAVPF)");
  EXPECT_EQ(refusal(head + "c=IN IP4 233.252.0.1/127\r\nm=audio 4000 RTP/AVP 0\r\n"),
            "multicast media is not relayed");
  EXPECT_EQ(refusal(head + "c=IN IP4 pbx.example.com\r\nm=audio 4000 RTP/AVP 0\r\n"),
            "connection address 'pbx.example.com' is not an IP address of its type");
  EXPECT_EQ(refusal(head + "m=audio 4000 RTP/AVP 0\r\n"), "m=audio has no connection address");
  EXPECT_EQ(refusal(head + "c=IN IP4 198.51.100.7\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:x\r\n"),
            "malformed a=rtcp");
  std::string many = head + "c=IN IP4 198.51.100.7\r\n";
  for (int i = 0; i < 9; ++i) many += "m=audio " + std::to_string(4000 + 2 * i) + " RTP/AVP 0\r\n";
  EXPECT_EQ(refusal(many), "more than 8 media streams");
  // A disabled stream needs no address and may use any transport.
  EXPECT_EQ(refusal(head + "c=IN IP4 198.51.100.7\r\nm=audio 4000 RTP/AVP 0\r\n"
                           "m=image 0 udptl t38\r\n"),
            "");
}

TEST(SdpAnchor, BodyKinds) {
  EXPECT_EQ(classifyBody("application/sdp"), BodyKind::kSdp);
  EXPECT_EQ(classifyBody("Application/SDP ; charset=utf-8"), BodyKind::kSdp);
  EXPECT_EQ(classifyBody("multipart/mixed;boundary=x"), BodyKind::kUnsupported);
  EXPECT_EQ(classifyBody("application/dtmf-relay"), BodyKind::kOther);
}

}  // namespace
}  // namespace tg::media
