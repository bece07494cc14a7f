#pragma once

// HEP version 3 (the Homer Encapsulation Protocol) framing of one captured SIP message: the
// "HEP3" header with the total length, then type-length-value chunks of the generic vendor (0),
// all integers in network byte order. What Homer and sngrep read (docs/capture.md).

#include <cstdint>
#include <string>
#include <string_view>

#include "transport/capture_tap.h"

namespace tg::app::capture {

// Chunk types of the generic vendor that trunkguard writes.
enum class HepChunk : uint16_t {
  kIpFamily = 1,    // uint8: 2 IPv4, 10 IPv6
  kIpProtocol = 2,  // uint8: 17 UDP, 6 TCP, 22 TLS (see kHepProtocolTls)
  kIpv4Source = 3,  // 4 bytes
  kIpv4Destination = 4,
  kIpv6Source = 5,  // 16 bytes
  kIpv6Destination = 6,
  kSourcePort = 7,  // uint16
  kDestinationPort = 8,
  kSeconds = 9,          // uint32, Unix time
  kMicroseconds = 10,    // uint32, within the second
  kProtocolType = 11,    // uint8: 1 SIP
  kCaptureAgentId = 12,  // uint32
  kAuthKey = 14,         // octets: the collector's password
  kPayload = 15,         // octets: the SIP message
  kCorrelationId = 17,   // octets: the Call-ID
};

inline constexpr uint8_t kHepFamilyIpv4 = 2;
inline constexpr uint8_t kHepFamilyIpv6 = 10;
inline constexpr uint8_t kHepProtocolUdp = 17;
inline constexpr uint8_t kHepProtocolTcp = 6;
// HEP has no number for TLS; SIP stacks that export HEP (Sofia-SIP, reSIProcate) mark TLS legs
// with IP protocol 22, which Homer shows as TLS.
inline constexpr uint8_t kHepProtocolTls = 22;
inline constexpr uint8_t kHepTypeSip = 1;
// A HEP packet's length is a uint16: a longer message is not exported (counted as dropped).
inline constexpr size_t kHepMaxPacket = 65535;

struct HepIdentity {
  uint32_t agentId = 0;
  std::string password;  // empty: no auth key chunk
};

// The Call-ID header's value (full or compact form "i:"), trimmed; empty when there is none.
std::string_view findCallId(std::string_view message);

// Appends the HEP packet for `message` to `out` (cleared first). False when it would not fit
// in a HEP packet (out is then left empty).
bool encodeHep(const transport::CapturedMessage& message, const HepIdentity& identity,
               std::string& out);

}  // namespace tg::app::capture
