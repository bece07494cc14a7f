#include "identity/x5u_address.h"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

namespace tg::identity {
namespace {

std::string_view kindOfV4(uint32_t a) {
  auto in = [a](uint32_t net, int bits) {
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == net;
  };
  if (in(0x00000000, 8)) return "unspecified";
  if (in(0x7f000000, 8)) return "loopback";
  if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16)) return "private";
  if (in(0xa9fe0000, 16)) return "link-local";
  if (in(0x64400000, 10)) return "shared (CGNAT)";
  if (in(0xe0000000, 4)) return "multicast";
  // 192.0.0.0/24 (protocol assignments), 198.18.0.0/15 (benchmarking), 240.0.0.0/4 and the
  // broadcast address.
  if (in(0xc0000000, 24) || in(0xc6120000, 15) || in(0xf0000000, 4)) return "reserved";
  return {};
}

}  // namespace

std::string_view nonPublicKind(const base::Address& address) {
  if (address.isV4()) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address.sockaddrPtr());
    return kindOfV4(ntohl(sin->sin_addr.s_addr));
  }
  if (!address.isV6()) return "unspecified";
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddrPtr());
  const uint8_t* b = sin6->sin6_addr.s6_addr;
  static constexpr uint8_t kZero[16] = {};
  if (std::memcmp(b, kZero, 15) == 0 && (b[15] == 0 || b[15] == 1))
    return b[15] == 0 ? "unspecified" : "loopback";
  // ::ffff:a.b.c.d and the NAT64 prefix 64:ff9b::/96 carry an IPv4 address: judge that one.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kNat64, 12) == 0) {
    const uint32_t v4 = (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) |
                        uint32_t{b[15]};
    return kindOfV4(v4);
  }
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  if ((b[0] & 0xfe) == 0xfc) return "unique local";
  if (b[0] == 0xff) return "multicast";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "reserved";  // doc
  return {};
}

}  // namespace tg::identity
