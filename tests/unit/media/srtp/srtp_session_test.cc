#include "media/srtp/srtp_session.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "srtp_test_util.h"

namespace tg::media::srtp {
namespace {

using test::attributeWithKey;
using test::rtcpReceiverReport;
using test::rtpPacket;

// A packet in a buffer with room for the trailer, as the relay's receive buffers have.
struct Buffer {
  explicit Buffer(const std::vector<uint8_t>& packet) : length(packet.size()) {
    std::copy(packet.begin(), packet.end(), bytes.begin());
  }
  std::span<uint8_t> span() { return bytes; }
  std::vector<uint8_t> contents() const { return {bytes.begin(), bytes.begin() + length}; }

  std::array<uint8_t, 1500> bytes{};
  size_t length;
};

struct Pair {
  SrtpSender sender;
  SrtpReceiver receiver;
};

Pair pairFor(const CryptoAttribute& attribute) {
  auto sender = SrtpSender::create(attribute);
  auto receiver = SrtpReceiver::create(attribute);
  EXPECT_TRUE(sender.ok()) << sender.error();
  EXPECT_TRUE(receiver.ok()) << receiver.error();
  return Pair{std::move(*sender), std::move(*receiver)};
}

class EverySuite : public testing::TestWithParam<CryptoSuite> {};

INSTANTIATE_TEST_SUITE_P(Suites, EverySuite,
                         testing::Values(CryptoSuite::kAesCm128HmacSha1_80,
                                         CryptoSuite::kAesCm128HmacSha1_32,
                                         CryptoSuite::kAesCm256HmacSha1_80,
                                         CryptoSuite::kAeadAes128Gcm, CryptoSuite::kAeadAes256Gcm),
                         [](const auto& param) {
                           return std::string(cryptoSuiteName(param.param));
                         });

TEST_P(EverySuite, RtpRoundTrip) {
  const CryptoSuiteInfo& info = cryptoSuiteInfo(GetParam());
  Pair pair = pairFor(attributeWithKey(GetParam()));
  for (uint16_t seq = 1000; seq < 1010; ++seq) {
    const auto plain = rtpPacket(seq);
    Buffer buffer(plain);
    ASSERT_EQ(pair.sender.protectRtp(buffer.span(), buffer.length), SrtpStatus::kOk);
    ASSERT_EQ(buffer.length, plain.size() + info.rtpTagLength);
    // The header stays readable; the payload does not.
    EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 12, buffer.bytes.begin()));
    EXPECT_FALSE(std::equal(plain.begin() + 12, plain.end(), buffer.bytes.begin() + 12));
    ASSERT_EQ(pair.receiver.unprotectRtp(buffer.span(), buffer.length), SrtpStatus::kOk);
    EXPECT_EQ(buffer.contents(), plain);
  }
}

TEST_P(EverySuite, RtcpRoundTrip) {
  const CryptoSuiteInfo& info = cryptoSuiteInfo(GetParam());
  Pair pair = pairFor(attributeWithKey(GetParam()));
  for (int i = 0; i < 3; ++i) {
    const auto plain = rtcpReceiverReport();
    Buffer buffer(plain);
    ASSERT_EQ(pair.sender.protectRtcp(buffer.span(), buffer.length), SrtpStatus::kOk);
    ASSERT_EQ(buffer.length, plain.size() + 4 + info.rtcpTagLength);
    ASSERT_EQ(pair.receiver.unprotectRtcp(buffer.span(), buffer.length), SrtpStatus::kOk);
    EXPECT_EQ(buffer.contents(), plain);
  }
}

TEST_P(EverySuite, TamperedPacketsAreRejected) {
  Pair pair = pairFor(attributeWithKey(GetParam()));
  // One byte flipped in the header, in the payload, in the tag.
  for (const size_t flipped : {size_t{3}, size_t{40}, size_t{173}}) {
    Buffer buffer(rtpPacket(static_cast<uint16_t>(flipped)));
    ASSERT_EQ(pair.sender.protectRtp(buffer.span(), buffer.length), SrtpStatus::kOk);
    buffer.bytes[flipped] ^= 0x01;
    const size_t before = buffer.length;
    EXPECT_EQ(pair.receiver.unprotectRtp(buffer.span(), buffer.length), SrtpStatus::kAuthFailure)
        << "byte " << flipped;
    EXPECT_EQ(buffer.length, before);
  }
  Buffer rtcp(rtcpReceiverReport());
  ASSERT_EQ(pair.sender.protectRtcp(rtcp.span(), rtcp.length), SrtpStatus::kOk);
  rtcp.bytes[20] ^= 0x80;
  EXPECT_EQ(pair.receiver.unprotectRtcp(rtcp.span(), rtcp.length), SrtpStatus::kAuthFailure);
}

TEST_P(EverySuite, ReplayedPacketsAreRejected) {
  Pair pair = pairFor(attributeWithKey(GetParam()));
  Buffer first(rtpPacket(500));
  ASSERT_EQ(pair.sender.protectRtp(first.span(), first.length), SrtpStatus::kOk);
  const Buffer copy = first;
  ASSERT_EQ(pair.receiver.unprotectRtp(first.span(), first.length), SrtpStatus::kOk);
  Buffer replay = copy;
  EXPECT_EQ(pair.receiver.unprotectRtp(replay.span(), replay.length), SrtpStatus::kReplay);

  Buffer rtcp(rtcpReceiverReport());
  ASSERT_EQ(pair.sender.protectRtcp(rtcp.span(), rtcp.length), SrtpStatus::kOk);
  const Buffer rtcpCopy = rtcp;
  ASSERT_EQ(pair.receiver.unprotectRtcp(rtcp.span(), rtcp.length), SrtpStatus::kOk);
  Buffer rtcpReplay = rtcpCopy;
  EXPECT_EQ(pair.receiver.unprotectRtcp(rtcpReplay.span(), rtcpReplay.length), SrtpStatus::kReplay);
}

TEST_P(EverySuite, AnotherKeyDoesNotAuthenticate) {
  auto sender = SrtpSender::create(attributeWithKey(GetParam(), 1));
  auto receiver = SrtpReceiver::create(attributeWithKey(GetParam(), 2));
  ASSERT_TRUE(sender.ok() && receiver.ok());
  Buffer buffer(rtpPacket(1));
  ASSERT_EQ(sender->protectRtp(buffer.span(), buffer.length), SrtpStatus::kOk);
  EXPECT_EQ(receiver->unprotectRtp(buffer.span(), buffer.length), SrtpStatus::kAuthFailure);
}

TEST(SrtpSession, PacketsOlderThanTheWindowAreReplays) {
  Pair pair = pairFor(attributeWithKey(CryptoSuite::kAesCm128HmacSha1_80));
  Buffer old(rtpPacket(100));
  ASSERT_EQ(pair.sender.protectRtp(old.span(), old.length), SrtpStatus::kOk);
  Buffer recent(rtpPacket(400));
  ASSERT_EQ(pair.sender.protectRtp(recent.span(), recent.length), SrtpStatus::kOk);
  ASSERT_EQ(pair.receiver.unprotectRtp(recent.span(), recent.length), SrtpStatus::kOk);
  // Never seen, but 300 packets behind with a 128-packet window.
  EXPECT_EQ(pair.receiver.unprotectRtp(old.span(), old.length), SrtpStatus::kReplay);
}

TEST(SrtpSession, ReorderedPacketsInsideTheWindowPass) {
  Pair pair = pairFor(attributeWithKey(CryptoSuite::kAesCm128HmacSha1_80));
  Buffer early(rtpPacket(10));
  Buffer late(rtpPacket(11));
  ASSERT_EQ(pair.sender.protectRtp(early.span(), early.length), SrtpStatus::kOk);
  ASSERT_EQ(pair.sender.protectRtp(late.span(), late.length), SrtpStatus::kOk);
  EXPECT_EQ(pair.receiver.unprotectRtp(late.span(), late.length), SrtpStatus::kOk);
  EXPECT_EQ(pair.receiver.unprotectRtp(early.span(), early.length), SrtpStatus::kOk);
}

TEST(SrtpSession, SequenceWrapCarriesTheRolloverCounter) {
  Pair pair = pairFor(attributeWithKey(CryptoSuite::kAesCm128HmacSha1_80));
  for (const uint16_t seq : {65533, 65534, 65535, 0, 1, 2}) {
    const auto plain = rtpPacket(seq);
    Buffer buffer(plain);
    ASSERT_EQ(pair.sender.protectRtp(buffer.span(), buffer.length), SrtpStatus::kOk) << seq;
    ASSERT_EQ(pair.receiver.unprotectRtp(buffer.span(), buffer.length), SrtpStatus::kOk) << seq;
    EXPECT_EQ(buffer.contents(), plain);
  }
}

TEST(SrtpSession, SenderRefusesToReuseASequenceNumber) {
  Pair pair = pairFor(attributeWithKey(CryptoSuite::kAesCm128HmacSha1_80));
  Buffer first(rtpPacket(7));
  ASSERT_EQ(pair.sender.protectRtp(first.span(), first.length), SrtpStatus::kOk);
  Buffer again(rtpPacket(7));
  EXPECT_EQ(pair.sender.protectRtp(again.span(), again.length), SrtpStatus::kReplay);
}

TEST(SrtpSession, IndependentSsrcsHaveIndependentState) {
  Pair pair = pairFor(attributeWithKey(CryptoSuite::kAesCm128HmacSha1_80));
  for (const uint32_t ssrc : {0x1u, 0x2u}) {
    Buffer buffer(rtpPacket(9, ssrc));
    ASSERT_EQ(pair.sender.protectRtp(buffer.span(), buffer.length), SrtpStatus::kOk);
    EXPECT_EQ(pair.receiver.unprotectRtp(buffer.span(), buffer.length), SrtpStatus::kOk);
  }
}

TEST(SrtpSession, BadLengths) {
  Pair pair = pairFor(attributeWithKey(CryptoSuite::kAesCm128HmacSha1_80));
  // No room for the 10-byte tag.
  auto plain = rtpPacket(1);
  std::vector<uint8_t> tight(plain.begin(), plain.end());
  tight.resize(plain.size() + 9);
  size_t length = plain.size();
  EXPECT_EQ(pair.sender.protectRtp(tight, length), SrtpStatus::kBadLength);
  EXPECT_EQ(length, plain.size());
  // Shorter than an RTP header; a length beyond the buffer.
  Buffer shortPacket(std::vector<uint8_t>(plain.begin(), plain.begin() + 11));
  EXPECT_EQ(pair.sender.protectRtp(shortPacket.span(), shortPacket.length), SrtpStatus::kBadLength);
  length = tight.size() + 1;
  EXPECT_EQ(pair.sender.protectRtp(tight, length), SrtpStatus::kBadLength);
  // Fifteen CSRCs announced in a 20-byte packet; a header extension running past the end.
  Buffer csrcs(std::vector<uint8_t>(plain.begin(), plain.begin() + 20));
  csrcs.bytes[0] = 0x8f;
  EXPECT_EQ(pair.sender.protectRtp(csrcs.span(), csrcs.length), SrtpStatus::kBadLength);
  Buffer extension(std::vector<uint8_t>(plain.begin(), plain.begin() + 24));
  extension.bytes[0] = 0x90;
  extension.bytes[14] = 0x00;
  extension.bytes[15] = 0x10;  // 16 words of extension in a 24-byte packet
  EXPECT_EQ(pair.sender.protectRtp(extension.span(), extension.length), SrtpStatus::kBadLength);
  // Not version 2.
  Buffer version1(plain);
  version1.bytes[0] = 0x40;
  EXPECT_EQ(pair.sender.protectRtp(version1.span(), version1.length), SrtpStatus::kBadLength);
  // SRTP shorter than a header and a tag; SRTCP shorter than a header, index and tag.
  Buffer truncated(std::vector<uint8_t>(plain.begin(), plain.begin() + 21));
  EXPECT_EQ(pair.receiver.unprotectRtp(truncated.span(), truncated.length), SrtpStatus::kBadLength);
  Buffer rtcp(std::vector<uint8_t>(21, 0x80));
  EXPECT_EQ(pair.receiver.unprotectRtcp(rtcp.span(), rtcp.length), SrtpStatus::kBadLength);
  Buffer rtcpShort(std::vector<uint8_t>(7, 0x80));
  EXPECT_EQ(pair.sender.protectRtcp(rtcpShort.span(), rtcpShort.length), SrtpStatus::kBadLength);
}

TEST(SrtpSession, RefusesAKeyOfTheWrongLength) {
  CryptoAttribute attribute = attributeWithKey(CryptoSuite::kAesCm128HmacSha1_80);
  attribute.suite = CryptoSuite::kAeadAes256Gcm;
  const auto sender = SrtpSender::create(attribute);
  EXPECT_FALSE(sender.ok());
  EXPECT_EQ(sender.error(), "master key length does not match the crypto suite");
}

TEST(SrtpSession, StatusNames) {
  EXPECT_EQ(srtpStatusName(SrtpStatus::kAuthFailure), "authentication failure");
  EXPECT_EQ(srtpStatusName(SrtpStatus::kReplay), "replay");
  EXPECT_EQ(srtpStatusName(SrtpStatus::kBadLength), "bad length");
}

}  // namespace
}  // namespace tg::media::srtp
