#pragma once

// Loopback peers for the media relay's tests: a UDP socket standing for a PBX, a provider or
// an attacker, and each test process's own slice of the port range.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "base/address.h"

namespace tg::media::test {

// 50 port pairs of its own for each test process (ctest runs them two at a time), below the
// ephemeral ports.
inline uint16_t rangeBase() { return static_cast<uint16_t>(20000 + (::getpid() % 90) * 100); }

inline base::Address loopback(uint16_t port = 0) {
  return *base::Address::parse("127.0.0.1", port);
}

// A UDP socket on 127.0.0.1 standing for a peer.
struct Peer {
  int fd = -1;
  base::Address address;
  Peer() {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const base::Address any = loopback(0);
    ::bind(fd, any.sockaddrPtr(), any.sockaddrLen());
    sockaddr_in6 got{};
    socklen_t len = sizeof got;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &len);
    address = base::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&got), len);
  }
  ~Peer() { ::close(fd); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  void send(const base::Address& to, const std::vector<uint8_t>& bytes) const {
    ::sendto(fd, bytes.data(), bytes.size(), 0, to.sockaddrPtr(), to.sockaddrLen());
  }
  // Every datagram that arrives within `ms`.
  std::vector<std::vector<uint8_t>> receive(int ms) const {
    std::vector<std::vector<uint8_t>> got;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      uint8_t buf[2048];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) got.emplace_back(buf, buf + n);
    }
    return got;
  }
};

}  // namespace tg::media::test
