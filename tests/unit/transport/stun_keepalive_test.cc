// STUN keep-alives on the SIP UDP port: the Binding success response against the sample
// messages of RFC 5769 (§2.2 IPv4, §2.3 IPv6), and silence for everything a keep-alive is not.

#include "transport/stun_keepalive.h"

#include <gtest/gtest.h>

namespace tg::transport {
namespace {

// RFC 5769's transaction ID.
const std::string kTransactionId("\xb7\xe7\xa7\x01\xbc\x34\xd6\x86\xfa\x87\xdf\xae", 12);

std::string header(uint16_t type, uint16_t length) {
  std::string h;
  h.push_back(static_cast<char>(type >> 8));
  h.push_back(static_cast<char>(type & 0xff));
  h.push_back(static_cast<char>(length >> 8));
  h.push_back(static_cast<char>(length & 0xff));
  h += std::string("\x21\x12\xa4\x42", 4);
  return h + kTransactionId;
}

std::string bindingRequest(const std::string& attributes = {}) {
  return header(0x0001, static_cast<uint16_t>(attributes.size())) + attributes;
}

base::Address at(const char* ip, uint16_t port) { return *base::Address::parse(ip, port); }

TEST(StunKeepAlive, AnswersWithTheXorMappedIpv4AddressOfRfc5769) {
  const auto r = stunBindingResponse(bindingRequest(), at("192.0.2.1", 32853));
  ASSERT_TRUE(r.has_value());
  const std::string expected =
      header(0x0101, 12) + std::string("\x00\x20\x00\x08\x00\x01\xa1\x47\xe1\x12\xa6\x43", 12);
  EXPECT_EQ(*r, expected);
}

TEST(StunKeepAlive, AnswersWithTheXorMappedIpv6AddressOfRfc5769) {
  const auto r =
      stunBindingResponse(bindingRequest(), at("2001:db8:1234:5678:11:2233:4455:6677", 32853));
  ASSERT_TRUE(r.has_value());
  const std::string expected = header(0x0101, 24) + std::string(
                                                        "\x00\x20\x00\x14\x00\x02\xa1\x47"
                                                        "\x01\x13\xa9\xfa\xa5\xd3\xf1\x79"
                                                        "\xbc\x25\xf4\xb5\xbe\xd2\xb9\xd9",
                                                        24);
  EXPECT_EQ(*r, expected);
}

TEST(StunKeepAlive, ComprehensionOptionalAttributesAreFine) {
  // SOFTWARE "tg" (padded to 4) and a FINGERPRINT, as some phones send.
  const std::string software("\x80\x22\x00\x02tg\x00\x00", 8);
  const std::string fingerprint("\x80\x28\x00\x04\x01\x02\x03\x04", 8);
  EXPECT_TRUE(stunBindingResponse(bindingRequest(software + fingerprint), at("192.0.2.1", 5060)));
}

TEST(StunKeepAlive, WhatIsNotAKeepAliveGetsSilence) {
  const base::Address from = at("192.0.2.1", 5060);
  // USERNAME is comprehension-required: an authenticated request, not a keep-alive.
  EXPECT_FALSE(stunBindingResponse(bindingRequest(std::string("\x00\x06\x00\x04user", 8)), from));
  EXPECT_FALSE(stunBindingResponse(header(0x0011, 0), from));  // a Binding indication
  EXPECT_FALSE(stunBindingResponse(header(0x0101, 0), from));  // a response
  EXPECT_FALSE(stunBindingResponse(header(0x0001, 8), from));  // the length promises more
  EXPECT_FALSE(stunBindingResponse(bindingRequest() + "xx", from));
  // An attribute that runs past the end of the message.
  EXPECT_FALSE(
      stunBindingResponse(bindingRequest(std::string("\x80\x22\x00\x10tg\x00\x00", 8)), from));
  EXPECT_FALSE(stunBindingResponse(std::string("\x00\x01\x00\x00", 4), from));
}

TEST(StunKeepAlive, SipAndCrlfAreNotStun) {
  EXPECT_TRUE(isStunMessage(bindingRequest()));
  EXPECT_FALSE(isStunMessage("OPTIONS sip:gw.example.com SIP/2.0\r\n\r\n"));
  EXPECT_FALSE(isStunMessage("\r\n\r\n"));
  std::string noCookie = bindingRequest();
  noCookie[4] = 0;
  EXPECT_FALSE(isStunMessage(noCookie));
}

}  // namespace
}  // namespace tg::transport
