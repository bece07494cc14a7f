// The codec allowlist (media/codec_filter.h): what a zone does not allow leaves the offer with
// its attributes, DTMF passes, and an offer left without a codec is refused.

#include "media/codec_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tg::media {
namespace {

sip::SdpMedia offer() {
  auto sdp = sip::parseSdp(
      "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0 8 18 96 101\r\na=rtpmap:96 opus/48000/2\r\n"
      "a=fmtp:96 minptime=10\r\na=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\na=sendrecv\r\n");
  EXPECT_TRUE(sdp.ok());
  return sdp->media.at(0);
}

TEST(CodecFilter, EncodingsFromRtpmapOrTheStaticTable) {
  const sip::SdpMedia m = offer();
  EXPECT_EQ(encodingOf(m, "0"), "PCMU");
  EXPECT_EQ(encodingOf(m, "18"), "G729");
  EXPECT_EQ(encodingOf(m, "96"), "opus");
  EXPECT_EQ(encodingOf(m, "97"), "");  // dynamic without rtpmap
  EXPECT_EQ(encodingOf(m, "x"), "");
}

TEST(CodecFilter, WhatAZoneDoesNotAllowIsRemovedAndDtmfPasses) {
  sip::SdpMedia m = offer();
  const std::vector<std::string> pbx = {"pcma", "PCMU", "opus"};
  const std::vector<std::string> trunk = {"PCMA", "PCMU", "G729"};
  ASSERT_EQ(filterCodecs(m, pbx, trunk), "");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_FALSE(m.attributes.rtpmap(96).has_value());
  EXPECT_FALSE(m.attributes.fmtp("96").has_value());
  EXPECT_FALSE(m.attributes.fmtp("18").has_value());
  EXPECT_TRUE(m.attributes.fmtp("101").has_value());
  EXPECT_TRUE(m.attributes.has("sendrecv"));
}

TEST(CodecFilter, NoAllowedCodecRefusesTheOfferAndEmptyListsAllowAll) {
  sip::SdpMedia m = offer();
  const std::vector<std::string> none = {"G722"};
  const std::string why = filterCodecs(m, none, {});
  EXPECT_NE(why.find("no allowed codec"), std::string::npos) << why;

  sip::SdpMedia all = offer();
  EXPECT_EQ(filterCodecs(all, {}, {}), "");
  EXPECT_EQ(all.formats.size(), 5u);
}

}  // namespace
}  // namespace tg::media
