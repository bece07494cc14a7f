#pragma once

// A transport address (IPv4 or IPv6 plus port) that is cheap to copy, hash and compare.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tg::base {

class Address {
 public:
  Address() = default;
  static std::optional<Address> parse(std::string_view ip, uint16_t port);
  // "1.2.3.4:5060" or "[::1]:5060".
  static std::optional<Address> parseHostPort(std::string_view text);
  static Address fromSockaddr(const sockaddr* sa, socklen_t len);

  bool isV4() const { return storage_.ss_family == AF_INET; }
  bool isV6() const { return storage_.ss_family == AF_INET6; }
  bool valid() const { return isV4() || isV6(); }
  uint16_t port() const;
  void setPort(uint16_t port);
  // Just the IP, e.g. "127.0.0.1" or "::1".
  std::string ip() const;
  // "127.0.0.1:5060" or "[::1]:5060".
  std::string toString() const;
  // The host as it goes into a SIP URI or Via: IPv6 in brackets.
  std::string sipHost() const;
  bool isLoopback() const;

  const sockaddr* sockaddrPtr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t sockaddrLen() const;

  bool operator==(const Address& o) const;
  bool sameIp(const Address& o) const;
  size_t hash() const;

 private:
  // Just big enough for IPv6 (28 bytes rather than sockaddr_storage's 128): every call keeps
  // several addresses. The family is the first field of both layouts.
  union Storage {
    sa_family_t ss_family;
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  Storage storage_{};
};

}  // namespace tg::base

template <>
struct std::hash<tg::base::Address> {
  size_t operator()(const tg::base::Address& a) const { return a.hash(); }
};
