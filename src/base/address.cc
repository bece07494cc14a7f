#include "base/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace tg::base {

std::optional<Address> Address::parse(std::string_view ip, uint16_t port) {
  char buf[INET6_ADDRSTRLEN];
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip.empty() || ip.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return a;
  }
  a.storage_ = {};
  if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return a;
  }
  return std::nullopt;
}

std::optional<Address> Address::parseHostPort(std::string_view text) {
  size_t colon;
  std::string_view host;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(0, close + 1);
    colon = close + 1;
    if (colon >= text.size() || text[colon] != ':') return std::nullopt;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    // "::1:5060" is itself an IPv6 address: IPv6 with a port must be written in brackets.
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  const std::string_view portText = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (ec != std::errc() || end != portText.data() + portText.size() || port > 65535) {
    return std::nullopt;
  }
  return parse(host, static_cast<uint16_t>(port));
}

Address Address::fromSockaddr(const sockaddr* sa, socklen_t len) {
  Address a;
  if (len > sizeof(a.storage_)) len = sizeof(a.storage_);
  std::memcpy(&a.storage_, sa, len);
  return a;
}

uint16_t Address::port() const {
  if (isV4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (isV6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

void Address::setPort(uint16_t port) {
  if (isV4()) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  if (isV6()) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

std::string Address::ip() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (isV4()) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
              sizeof(buf));
  } else if (isV6()) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof(buf));
  }
  return buf;
}

// Built with append(): GCC 12 at -O3 warns falsely (-Wrestrict) on chained operator+.
std::string Address::sipHost() const {
  if (!isV6()) return ip();
  std::string s = "[";
  s.append(ip());
  s.push_back(']');
  return s;
}

std::string Address::toString() const {
  std::string s = sipHost();
  s.push_back(':');
  s.append(std::to_string(port()));
  return s;
}

bool Address::isLoopback() const {
  if (isV4()) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr) >> 24) == 127;
  }
  if (isV6()) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
    // ::ffff:127.x.y.z is IPv4 loopback seen through a dual-stack socket.
    return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
  }
  return false;
}

socklen_t Address::sockaddrLen() const {
  if (isV4()) return sizeof(sockaddr_in);
  if (isV6()) return sizeof(sockaddr_in6);
  return 0;
}

bool Address::sameIp(const Address& o) const {
  if (storage_.ss_family != o.storage_.ss_family) return false;
  if (isV4()) {
    return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&o.storage_)->sin_addr.s_addr;
  }
  if (isV6()) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&o.storage_)->sin6_addr, 16) == 0;
  }
  return true;
}

bool Address::operator==(const Address& o) const { return sameIp(o) && port() == o.port(); }

size_t Address::hash() const {
  size_t h = port();
  if (isV4()) {
    h ^= static_cast<size_t>(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr)
         << 16;
  } else if (isV6()) {
    const auto* b = reinterpret_cast<const uint64_t*>(
        &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    h ^= b[0] * 0x9E3779B97F4A7C15ull ^ b[1];
  }
  return h;
}

}  // namespace tg::base
