#pragma once

// Packets and keys for the SRTP tests.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "media/srtp/crypto_attribute.h"
#include "media/srtp/crypto_suite.h"

namespace tg::media::srtp::test {

inline std::vector<uint8_t> fromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  int high = -1;
  for (const char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;  // spaces between groups, as the RFCs print them
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

// A 20 ms G.711 packet: 12-byte header, 160 bytes of payload (172 bytes in all).
inline std::vector<uint8_t> rtpPacket(uint16_t sequence, uint32_t ssrc = 0x11223344,
                                      size_t payload = 160) {
  std::vector<uint8_t> p(12 + payload);
  p[0] = 0x80;
  p[1] = 0x00;  // PCMU
  p[2] = static_cast<uint8_t>(sequence >> 8);
  p[3] = static_cast<uint8_t>(sequence);
  const uint32_t timestamp = sequence * 160u;
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(timestamp >> (24 - 8 * i));
    p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  }
  for (size_t i = 12; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 7 + sequence);
  return p;
}

// A receiver report with one report block (RFC 3550 §6.4.2): 32 bytes.
inline std::vector<uint8_t> rtcpReceiverReport(uint32_t ssrc = 0x11223344) {
  std::vector<uint8_t> p(32);
  p[0] = 0x81;
  p[1] = 201;
  p[3] = 7;  // length in 32-bit words minus one
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (size_t i = 8; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i);
  return p;
}

// An attribute of `suite` whose key bytes are `fill`, fill+1, ...
inline CryptoAttribute attributeWithKey(CryptoSuite suite, uint8_t fill = 1, uint32_t tag = 1) {
  std::vector<uint8_t> bytes(cryptoSuiteInfo(suite).keySaltLength());
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(fill + i);
  CryptoAttribute a;
  a.tag = tag;
  a.suite = suite;
  a.key = *MasterKey::fromBytes(bytes);
  return a;
}

}  // namespace tg::media::srtp::test
