#include "guard/common/cidr_trie.h"

#include <arpa/inet.h>

#include <bit>
#include <charconv>
#include <cstring>

namespace tg::guard {

namespace detail {

namespace {

uint64_t load64(const uint8_t* b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

uint64_t v4Mask(unsigned length) {
  return length == 0 ? 0 : (0xFFFFFFFFull << (32 - length)) & 0xFFFFFFFFull;
}

uint64_t highMask(unsigned length) {  // the top `length` bits of 64
  return length == 0 ? 0 : ~uint64_t{0} << (64 - length);
}

}  // namespace

AddressKey addressKey(const base::Address& address) {
  AddressKey k;
  if (address.isV4()) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address.sockaddrPtr());
    k.lo = ntohl(sin->sin_addr.s_addr);
    k.v4 = true;
    k.valid = true;
    return k;
  }
  if (address.isV6()) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddrPtr());
    const uint8_t* b = sin6->sin6_addr.s6_addr;
    k.hi = load64(b);
    k.lo = load64(b + 8);
    k.valid = true;
    if (k.hi == 0 && (k.lo >> 32) == 0xFFFF) {
      k.mapped = true;
      k.v4 = true;
      k.hi6 = k.hi;
      k.lo6 = k.lo;
      k.hi = 0;
      k.lo &= 0xFFFFFFFFull;
    }
  }
  return k;
}

bool prefixEqual(uint64_t aHi, uint64_t aLo, uint64_t bHi, uint64_t bLo, unsigned length, bool v4) {
  if (v4) return ((aLo ^ bLo) & v4Mask(length)) == 0;
  if (length <= 64) return ((aHi ^ bHi) & highMask(length)) == 0;
  return aHi == bHi && ((aLo ^ bLo) & highMask(length - 64)) == 0;
}

bool keyBit(uint64_t hi, uint64_t lo, unsigned i, bool v4) {
  if (v4) return (lo >> (31 - i)) & 1;
  return i < 64 ? (hi >> (63 - i)) & 1 : (lo >> (127 - i)) & 1;
}

unsigned commonPrefix(uint64_t aHi, uint64_t aLo, uint64_t bHi, uint64_t bLo, unsigned limit,
                      bool v4) {
  unsigned n;
  if (v4) {
    const auto x = static_cast<uint32_t>(aLo ^ bLo);
    n = x == 0 ? 32 : static_cast<unsigned>(std::countl_zero(x));
  } else if (aHi != bHi) {
    n = static_cast<unsigned>(std::countl_zero(aHi ^ bHi));
  } else {
    const uint64_t y = aLo ^ bLo;
    n = y == 0 ? 128 : 64 + static_cast<unsigned>(std::countl_zero(y));
  }
  return n < limit ? n : limit;
}

}  // namespace detail

namespace {

void clearHostBits(IpPrefix& p) {
  if (p.v4) {
    p.hi = 0;
    p.lo &= p.length == 0 ? 0 : (0xFFFFFFFFull << (32 - p.length)) & 0xFFFFFFFFull;
  } else if (p.length <= 64) {
    p.hi &= p.length == 0 ? 0 : ~uint64_t{0} << (64 - p.length);
    p.lo = 0;
  } else {
    p.lo &= ~uint64_t{0} << (128 - p.length);
  }
}

}  // namespace

std::optional<IpPrefix> IpPrefix::of(const base::Address& network, unsigned length) {
  const detail::AddressKey k = detail::addressKey(network);
  if (!k.valid) return std::nullopt;
  IpPrefix p;
  if (k.mapped) {
    // ::ffff:a.b.c.d/120 is a.b.c.0/24; a shorter mapped prefix stays IPv6.
    if (length > 128) length = 128;
    if (length >= 96) {
      p.v4 = true;
      p.lo = k.lo;
      p.length = static_cast<uint8_t>(length - 96);
    } else {
      p.v4 = false;
      p.hi = k.hi6;
      p.lo = k.lo6;
      p.length = static_cast<uint8_t>(length);
    }
  } else {
    p.v4 = k.v4;
    p.hi = k.hi;
    p.lo = k.lo;
    p.length = static_cast<uint8_t>(length > p.width() ? p.width() : length);
  }
  clearHostBits(p);
  return p;
}

std::optional<IpPrefix> IpPrefix::host(const base::Address& address) {
  return of(address, address.isV4() ? 32 : 128);
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<IpPrefix> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  const size_t slash = text.find('/');
  const std::string_view ipText = text.substr(0, slash);
  const auto address = base::Address::parse(ipText, 0);
  if (!address) {
    return fail("'" + std::string(text) +
                "' is not an IP address or network; write e.g. 192.0.2.7, 192.0.2.0/24 or "
                "2001:db8::/32");
  }
  const unsigned maxBits = address->isV4() ? 32 : 128;
  unsigned bits = maxBits;
  if (slash != std::string_view::npos) {
    const std::string_view bitsText = text.substr(slash + 1);
    const auto [end, ec] =
        std::from_chars(bitsText.data(), bitsText.data() + bitsText.size(), bits);
    if (bitsText.empty() || ec != std::errc() || end != bitsText.data() + bitsText.size() ||
        bits > maxBits) {
      return fail("'" + std::string(text) + "' has an invalid prefix length; use 0-" +
                  std::to_string(maxBits));
    }
  }
  return of(*address, bits);
}

IpPrefix IpPrefix::truncated(unsigned newLength) const {
  IpPrefix p = *this;
  p.length = static_cast<uint8_t>(newLength < length ? newLength : length);
  clearHostBits(p);
  return p;
}

bool IpPrefix::bit(unsigned i) const { return detail::keyBit(hi, lo, i, v4); }

bool IpPrefix::covers(const IpPrefix& other) const {
  return other.v4 == v4 && other.length >= length &&
         detail::prefixEqual(hi, lo, other.hi, other.lo, length, v4);
}

bool IpPrefix::contains(const base::Address& address) const {
  const detail::AddressKey k = detail::addressKey(address);
  if (!k.valid) return false;
  if (v4) return k.v4 && detail::prefixEqual(hi, lo, k.hi, k.lo, length, true);
  if (k.mapped) return detail::prefixEqual(hi, lo, k.hi6, k.lo6, length, false);
  return !k.v4 && detail::prefixEqual(hi, lo, k.hi, k.lo, length, false);
}

base::Address IpPrefix::address() const {
  if (v4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(static_cast<uint32_t>(lo));
    return base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof(sin));
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  for (int i = 0; i < 8; ++i) {
    sin6.sin6_addr.s6_addr[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    sin6.sin6_addr.s6_addr[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  return base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof(sin6));
}

std::string IpPrefix::toString() const { return address().ip() + "/" + std::to_string(length); }

}  // namespace tg::guard
