#include "transport/reuseport_steering.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tg::transport {
namespace {

// Real sockets on loopback: the kernel runs the program, so this checks the offsets on the
// kernel the tests run on.
class Group {
 public:
  Group(int family, const char* ip, bool steer) : family_(family) {
    for (int i = 0; i < 2; ++i) {
      const int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      EXPECT_GE(fd, 0);
      const int on = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
      if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
      sockaddr_storage a = address(ip, port_);
      EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), length()), 0) << strerror(errno);
      if (i == 0) {
        socklen_t len = sizeof(a);
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&a)->sin_port
                                        : reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
      }
      fds_.push_back(fd);
    }
    if (steer) {
      const std::string error = steerBySourceAddress(fds_[1], family == AF_INET6, 2);
      EXPECT_TRUE(error.empty()) << error;
    }
    target_ = address(ip, port_);
  }
  ~Group() {
    for (const int fd : fds_) close(fd);
  }

  // Sends one datagram from `ip` on a fresh port; returns which socket got it (-1: none).
  int sendFrom(const char* ip) {
    const int s = socket(family_, SOCK_DGRAM, 0);
    sockaddr_storage from = address(ip, 0);
    if (bind(s, reinterpret_cast<sockaddr*>(&from), length()) != 0) {
      close(s);
      return -2;  // the address is not on this host
    }
    sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&target_), length());
    close(s);
    std::array<pollfd, 2> p{};
    for (int i = 0; i < 2; ++i) p[i] = {fds_[i], POLLIN, 0};
    if (poll(p.data(), p.size(), 1000) <= 0) return -1;
    for (int i = 0; i < 2; ++i) {
      char b[8];
      if (recv(fds_[i], b, sizeof b, 0) == 1) return i;
    }
    return -1;
  }

 private:
  sockaddr_storage address(const char* ip, uint16_t port) const {
    sockaddr_storage a{};
    if (family_ == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&a);
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      inet_pton(AF_INET, ip, &v4->sin_addr);
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&a);
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      inet_pton(AF_INET6, ip, &v6->sin6_addr);
    }
    return a;
  }
  socklen_t length() const {
    return family_ == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  }

  int family_;
  uint16_t port_ = 0;
  std::vector<int> fds_;
  sockaddr_storage target_{};
};

// Which sockets each of 16 loopback addresses reached, sending 8 datagrams (8 ports) from each.
std::map<std::string, std::set<int>> spread(Group& g) {
  std::map<std::string, std::set<int>> out;
  for (int host = 1; host <= 16; ++host) {
    const std::string ip = "127.0.0." + std::to_string(host);
    for (int i = 0; i < 8; ++i) out[ip].insert(g.sendFrom(ip.c_str()));
  }
  return out;
}

TEST(ReuseportSteeringTest, Ipv4SourceAddressPicksTheSocketWhateverThePort) {
  Group g(AF_INET, "127.0.0.1", /*steer=*/true);
  std::set<int> used;
  for (const auto& [ip, sockets] : spread(g)) {
    ASSERT_EQ(sockets.size(), 1u) << ip << " reached more than one socket";
    const int expected = static_cast<int>(steeringIndex(*base::Address::parse(ip, 5060), 2));
    EXPECT_EQ(*sockets.begin(), expected) << ip;
    used.insert(*sockets.begin());
  }
  EXPECT_EQ(used.size(), 2u) << "every source on one socket: the program saw no address";
}

// What the program fixes: without it, rotating ports reaches both sockets.
TEST(ReuseportSteeringTest, WithoutTheProgramPortsSpreadOneSourceOverTheGroup) {
  Group g(AF_INET, "127.0.0.1", /*steer=*/false);
  size_t split = 0;
  for (const auto& [ip, sockets] : spread(g)) split += sockets.size() > 1 ? 1 : 0;
  EXPECT_GT(split, 0u);
}

TEST(ReuseportSteeringTest, Ipv6SourceIsReadAtItsOwnOffset) {
  const int probe = socket(AF_INET6, SOCK_DGRAM, 0);
  sockaddr_in6 lo{};
  lo.sin6_family = AF_INET6;
  lo.sin6_addr = in6addr_loopback;
  const bool haveV6 = bind(probe, reinterpret_cast<sockaddr*>(&lo), sizeof lo) == 0;
  close(probe);
  if (!haveV6) GTEST_SKIP() << "no IPv6 loopback here";
  // ::1 (/64 all zero) hashes to the second socket; a failed load would end the program
  // with 0 (the first).
  const uint32_t expected = steeringIndex(*base::Address::parse("::1", 5060), 2);
  ASSERT_EQ(expected, 1u);
  Group g(AF_INET6, "::1", /*steer=*/true);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(g.sendFrom("::1"), 1) << i;
}

TEST(ReuseportSteeringTest, OneSocketNeedsNoProgram) {
  EXPECT_EQ(steerBySourceAddress(-1, false, 1), "");
  EXPECT_EQ(steeringIndex(*base::Address::parse("192.0.2.1", 1), 1), 0u);
}

}  // namespace
}  // namespace tg::transport
