// Latching that resists RTP Bleed (media/source_latch.h).

#include "media/source_latch.h"

#include <gtest/gtest.h>

#include <vector>

namespace tg::media {
namespace {

base::Address at(const char* ip, uint16_t port) { return *base::Address::parse(ip, port); }

std::vector<uint8_t> rtp(uint16_t seq, uint32_t ssrc = 0x11223344) {
  std::vector<uint8_t> p(172, 0);
  p[0] = 0x80;
  p[1] = 0;  // PCMU
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[8] = static_cast<uint8_t>(ssrc >> 24);
  p[9] = static_cast<uint8_t>(ssrc >> 16);
  p[10] = static_cast<uint8_t>(ssrc >> 8);
  p[11] = static_cast<uint8_t>(ssrc);
  return p;
}

using V = SourceLatch::Verdict;

V feed(SourceLatch& l, const base::Address& from, uint16_t seq, uint32_t ssrc = 0x11223344) {
  const auto p = rtp(seq, ssrc);
  return l.checkRtp(from, p.data(), p.size());
}

TEST(SourceLatch, LearnsAfterProbationThenIsStrict) {
  SourceLatch l(3);
  const auto peer = at("198.51.100.7", 4000);
  EXPECT_EQ(feed(l, peer, 10), V::kProbation);
  EXPECT_EQ(feed(l, peer, 11), V::kProbation);
  EXPECT_EQ(feed(l, peer, 12), V::kAccept);
  EXPECT_TRUE(l.latched());
  EXPECT_EQ(feed(l, at("192.0.2.66", 4000), 13), V::kForeign);
  EXPECT_EQ(feed(l, at("198.51.100.7", 4002), 13), V::kForeign);  // same IP, other port
  EXPECT_EQ(feed(l, peer, 13), V::kAccept);
  EXPECT_EQ(l.source(), peer);
}

TEST(SourceLatch, SprayedPacketsNeverLatch) {
  SourceLatch l(3);
  const auto attacker = at("192.0.2.66", 5555);
  // Random sequence numbers, SSRCs, and non-RTP bytes.
  EXPECT_EQ(feed(l, attacker, 100), V::kProbation);
  EXPECT_EQ(feed(l, attacker, 7), V::kProbation);
  EXPECT_EQ(feed(l, attacker, 8, 0x99), V::kProbation);
  const uint8_t junk[20] = {0xff, 1, 2, 3};
  EXPECT_EQ(l.checkRtp(attacker, junk, sizeof junk), V::kProbation);
  EXPECT_EQ(feed(l, attacker, 9, 0x99), V::kProbation);  // two in a row only
  EXPECT_FALSE(l.latched());
}

TEST(SourceLatch, AnAttackerCannotDisplaceTheAddressTheSdpNamed) {
  SourceLatch l(3);
  const auto peer = at("198.51.100.7", 4000);
  const auto attacker = at("192.0.2.66", 5555);
  l.reset(peer, 3);
  EXPECT_EQ(feed(l, peer, 1), V::kProbation);
  EXPECT_EQ(feed(l, attacker, 50), V::kProbation);  // interleaved: ignored, no restart
  EXPECT_EQ(feed(l, peer, 2), V::kProbation);
  EXPECT_EQ(feed(l, attacker, 51), V::kProbation);
  EXPECT_EQ(feed(l, peer, 3), V::kAccept);
  EXPECT_EQ(l.source(), peer);
}

TEST(SourceLatch, OnlyANewOfferRelearns) {
  SourceLatch l(2);
  const auto first = at("198.51.100.7", 4000);
  const auto moved = at("198.51.100.8", 4000);
  feed(l, first, 1);
  feed(l, first, 2);
  ASSERT_TRUE(l.latched());
  EXPECT_EQ(feed(l, moved, 3), V::kForeign);
  EXPECT_EQ(feed(l, moved, 4), V::kForeign);
  EXPECT_EQ(l.source(), first);
  l.reset(moved, 2);
  EXPECT_EQ(feed(l, moved, 5), V::kProbation);
  EXPECT_EQ(feed(l, moved, 6), V::kAccept);
}

TEST(SourceLatch, PinnedLearnsNothing) {
  SourceLatch l(3);
  const auto provider = at("203.0.113.9", 3456);
  l.pin(provider);
  EXPECT_EQ(feed(l, provider, 1), V::kAccept);
  EXPECT_EQ(feed(l, at("203.0.113.9", 3458), 2), V::kForeign);
  SourceLatch hold(3);
  hold.pin(base::Address());
  EXPECT_EQ(feed(hold, provider, 1), V::kForeign);
}

TEST(SourceLatch, RtcpFollowsTheLatchedRtpAddress) {
  SourceLatch rtpLatch(1);
  SourceLatch rtcpLatch(1);
  const auto peer = at("198.51.100.7", 4000);
  EXPECT_EQ(rtcpLatch.checkRtcp(at("198.51.100.7", 4001), rtpLatch), V::kProbation);
  feed(rtpLatch, peer, 1);
  EXPECT_EQ(rtcpLatch.checkRtcp(at("192.0.2.66", 4001), rtpLatch), V::kForeign);
  EXPECT_EQ(rtcpLatch.checkRtcp(at("198.51.100.7", 5555), rtpLatch), V::kForeign);  // same host
  EXPECT_EQ(rtcpLatch.checkRtcp(at("198.51.100.7", 4001), rtpLatch), V::kAccept);
  EXPECT_EQ(rtcpLatch.checkRtcp(at("198.51.100.7", 4003), rtpLatch), V::kForeign);
}

TEST(SourceLatch, RtcpFromTheAddressTheSdpNamed) {
  SourceLatch rtpLatch(1);
  SourceLatch rtcpLatch(1);
  rtcpLatch.reset(at("198.51.100.7", 6000), 1);
  feed(rtpLatch, at("198.51.100.7", 4000), 1);
  EXPECT_EQ(rtcpLatch.checkRtcp(at("198.51.100.7", 6000), rtpLatch), V::kAccept);
}

TEST(RtpHeader, ParsesAndTellsRtcpApart) {
  RtpHeader h;
  const auto p = rtp(0x1234, 0xdeadbeef);
  ASSERT_TRUE(parseRtp(p.data(), p.size(), h));
  EXPECT_EQ(h.sequence, 0x1234);
  EXPECT_EQ(h.ssrc, 0xdeadbeefu);
  EXPECT_FALSE(parseRtp(p.data(), 11, h));
  EXPECT_FALSE(isRtcp(p.data(), p.size()));
  const uint8_t receiverReport[8] = {0x80, 201, 0, 1, 0, 0, 0, 1};
  EXPECT_TRUE(isRtcp(receiverReport, sizeof receiverReport));
}

}  // namespace
}  // namespace tg::media
