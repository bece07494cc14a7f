#include "transport/stun_keepalive.h"

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace tg::transport {
namespace {

constexpr size_t kHeaderBytes = 20;
constexpr uint32_t kMagicCookie = 0x2112A442;
constexpr uint16_t kBindingRequest = 0x0001;
constexpr uint16_t kBindingSuccess = 0x0101;
constexpr uint16_t kXorMappedAddress = 0x0020;
// Attributes below this are comprehension-required (RFC 8489 §14): one we do not implement
// (MESSAGE-INTEGRITY, USERNAME, ...) would call for a 420 error; a keep-alive has none, so
// such requests are not keep-alives and get silence instead.
constexpr uint16_t kFirstOptionalAttribute = 0x8000;

uint16_t read16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(s[at]) << 8) |
                               static_cast<uint8_t>(s[at + 1]));
}
uint32_t read32(std::string_view s, size_t at) {
  return (uint32_t{read16(s, at)} << 16) | read16(s, at + 2);
}
void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}

// Only comprehension-optional attributes (SOFTWARE, FINGERPRINT, ...), each within the body.
bool attributesAcceptable(std::string_view body) {
  size_t at = 0;
  while (at < body.size()) {
    if (body.size() - at < 4) return false;
    const uint16_t type = read16(body, at);
    const size_t length = read16(body, at + 2);
    const size_t padded = (length + 3) & ~size_t{3};
    if (body.size() - at - 4 < padded) return false;
    if (type < kFirstOptionalAttribute) return false;
    at += 4 + padded;
  }
  return true;
}

}  // namespace

bool isStunMessage(std::string_view d) {
  return d.size() >= kHeaderBytes && (static_cast<uint8_t>(d[0]) & 0xc0) == 0 &&
         read32(d, 4) == kMagicCookie;
}

std::optional<std::string> stunBindingResponse(std::string_view request,
                                               const base::Address& source) {
  if (!isStunMessage(request) || !source.valid()) return std::nullopt;
  const size_t length = read16(request, 2);
  if (read16(request, 0) != kBindingRequest || length % 4 != 0 ||
      request.size() != kHeaderBytes + length ||
      !attributesAcceptable(request.substr(kHeaderBytes))) {
    return std::nullopt;
  }
  const std::string_view transactionId = request.substr(8, 12);

  // XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the port XORed with the cookie's top half, the
  // address with the cookie (IPv4) or the cookie followed by the transaction ID (IPv6).
  std::string value;
  value.push_back('\0');
  value.push_back(source.isV4() ? '\x01' : '\x02');
  put16(value, static_cast<uint16_t>(source.port() ^ (kMagicCookie >> 16)));
  std::array<uint8_t, 16> mask{};
  const uint32_t cookie = htonl(kMagicCookie);
  std::memcpy(mask.data(), &cookie, 4);
  std::memcpy(mask.data() + 4, transactionId.data(), transactionId.size());
  const uint8_t* ip = nullptr;
  size_t ipBytes = 0;
  if (source.isV4()) {
    ip = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in*>(source.sockaddrPtr())->sin_addr);
    ipBytes = 4;
  } else {
    ip = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in6*>(source.sockaddrPtr())->sin6_addr);
    ipBytes = 16;
  }
  for (size_t i = 0; i < ipBytes; ++i) value.push_back(static_cast<char>(ip[i] ^ mask[i]));

  std::string out;
  out.reserve(kHeaderBytes + 4 + value.size());
  put16(out, kBindingSuccess);
  put16(out, static_cast<uint16_t>(4 + value.size()));
  put32(out, kMagicCookie);
  out.append(transactionId);
  put16(out, kXorMappedAddress);
  put16(out, static_cast<uint16_t>(value.size()));
  out += value;
  return out;
}

}  // namespace tg::transport
