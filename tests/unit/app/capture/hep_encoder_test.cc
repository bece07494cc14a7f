// HEP v3 framing of one captured SIP message: every chunk Homer and sngrep read, in network
// byte order, checked by a decoder written apart (hep_decode.h).

#include "app/capture/hep_encoder.h"

#include <gtest/gtest.h>

#include <chrono>

#include "hep_decode.h"

namespace tg::app::capture {
namespace {

using test::decodeHep;

constexpr const char* kInvite =
    "INVITE sip:15551234567@192.0.2.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
    "Call-ID:  a84b4c76e66710@pbx.example \r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

transport::CapturedMessage message(std::string_view bytes, const char* from, const char* to,
                                   config::TransportKind t = config::TransportKind::kUdp) {
  return transport::CapturedMessage{.transport = t,
                                    .source = *base::Address::parseHostPort(from),
                                    .destination = *base::Address::parseHostPort(to),
                                    .when = base::SystemTime{} + std::chrono::seconds(1765150000) +
                                            std::chrono::microseconds(123456),
                                    .bytes = bytes};
}

TEST(HepEncoder, Ipv4UdpMessageCarriesEveryChunk) {
  std::string out;
  ASSERT_TRUE(encodeHep(message(kInvite, "127.0.0.1:5070", "192.0.2.1:5060"),
                        HepIdentity{2001, "homer"}, out));
  const auto p = decodeHep(out);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->number(1), 2u);   // IPv4
  EXPECT_EQ(p->number(2), 17u);  // UDP
  EXPECT_EQ(p->chunks.at(3), std::string("\x7f\x00\x00\x01", 4));
  EXPECT_EQ(p->chunks.at(4), std::string("\xc0\x00\x02\x01", 4));
  EXPECT_EQ(p->number(7), 5070u);
  EXPECT_EQ(p->number(8), 5060u);
  EXPECT_EQ(p->number(9), 1765150000u);
  EXPECT_EQ(p->number(10), 123456u);
  EXPECT_EQ(p->number(11), 1u);  // SIP
  EXPECT_EQ(p->number(12), 2001u);
  EXPECT_EQ(p->chunks.at(14), "homer");
  EXPECT_EQ(p->chunks.at(15), kInvite);
  EXPECT_EQ(p->chunks.at(17), "a84b4c76e66710@pbx.example");
  EXPECT_EQ(p->chunks.at(2).size(), 1u);
  EXPECT_EQ(p->chunks.at(7).size(), 2u);
  EXPECT_EQ(p->chunks.at(12).size(), 4u);
}

TEST(HepEncoder, Ipv6TlsAndNoPassword) {
  std::string out;
  ASSERT_TRUE(
      encodeHep(message(kInvite, "[::1]:5061", "[2001:db8::7]:5061", config::TransportKind::kTls),
                HepIdentity{7, ""}, out));
  const auto p = decodeHep(out);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->number(1), 10u);  // IPv6
  EXPECT_EQ(p->number(2), 22u);  // TLS, as Sofia-SIP and reSIProcate mark it
  ASSERT_EQ(p->chunks.at(5).size(), 16u);
  EXPECT_EQ(p->chunks.at(5).back(), '\x01');
  EXPECT_EQ(p->chunks.at(6).substr(0, 4), std::string("\x20\x01\x0d\xb8", 4));
  EXPECT_FALSE(p->has(3));
  EXPECT_FALSE(p->has(14));  // no auth key without a password
}

TEST(HepEncoder, TcpIsProtocolSix) {
  std::string out;
  ASSERT_TRUE(encodeHep(message(kInvite, "127.0.0.1:1", "127.0.0.2:2", config::TransportKind::kTcp),
                        HepIdentity{}, out));
  EXPECT_EQ(decodeHep(out)->number(2), 6u);
}

TEST(HepEncoder, CompactCallIdAndNone) {
  EXPECT_EQ(findCallId("BYE sip:x SIP/2.0\r\ni: abc@h\r\n\r\n"), "abc@h");
  EXPECT_EQ(findCallId("SIP/2.0 200 OK\r\ncall-id:xyz\r\nCSeq: 1 BYE\r\n\r\n"), "xyz");
  EXPECT_EQ(findCallId("OPTIONS sip:x SIP/2.0\r\nVia: a\r\n\r\nCall-ID: in-the-body\r\n"), "");
  EXPECT_EQ(findCallId(""), "");
  std::string out;
  ASSERT_TRUE(encodeHep(message("OPTIONS sip:x SIP/2.0\r\n\r\n", "127.0.0.1:1", "127.0.0.1:2"),
                        HepIdentity{}, out));
  EXPECT_FALSE(decodeHep(out)->has(17));  // no correlation id without a Call-ID
}

TEST(HepEncoder, TooLargeForOnePacketIsRefused) {
  const std::string big(kHepMaxPacket, 'x');
  std::string out = "stale";
  EXPECT_FALSE(encodeHep(message(big, "127.0.0.1:1", "127.0.0.1:2"), HepIdentity{}, out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace tg::app::capture
