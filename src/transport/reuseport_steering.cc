#include "transport/reuseport_steering.h"

#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace tg::transport {
namespace {

// Multiplicative hashing: the golden-ratio multiplier spreads neighbouring addresses, and the
// high half of the product is the well-mixed part. The +1 keeps an all-zero word (the /64 of
// ::1) off index 0, where a failed load would also land, so a test can tell the two apart.
constexpr uint32_t kMultiplier = 0x9E3779B1u;
constexpr uint32_t kShift = 16;

uint32_t pick(uint32_t word, uint32_t groupSize) {
  return (((word + 1) * kMultiplier) >> kShift) % groupSize;
}

constexpr uint32_t kIpv4Source = 12;  // offset of the source address in the IPv4 header
constexpr uint32_t kIpv6Source = 8;   // in the IPv6 header; its first 8 bytes are the /64

uint32_t netOffset(uint32_t offset) { return static_cast<uint32_t>(SKF_NET_OFF) + offset; }

}  // namespace

std::string steerBySourceAddress(int fd, bool ipv6, uint32_t groupSize) {
  if (groupSize < 2) return {};
  // A = source word(s); A = (((A + 1) * kMultiplier) >> kShift) % groupSize; return A.
  std::array<sock_filter, 9> code{};
  size_t n = 0;
  if (ipv6) {
    code[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, netOffset(kIpv6Source));
    code[n++] = BPF_STMT(BPF_MISC | BPF_TAX, 0);
    code[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, netOffset(kIpv6Source + 4));
    code[n++] = BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
  } else {
    code[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, netOffset(kIpv4Source));
  }
  code[n++] = BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1);
  code[n++] = BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, kMultiplier);
  code[n++] = BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, kShift);
  code[n++] = BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, groupSize);
  code[n++] = BPF_STMT(BPF_RET | BPF_A, 0);
  sock_fprog program{static_cast<unsigned short>(n), code.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof(program)) != 0) {
    return std::error_code(errno, std::generic_category()).message();
  }
  return {};
}

uint32_t steeringIndex(const base::Address& source, uint32_t groupSize) {
  if (groupSize < 2) return 0;
  // BPF_LD | BPF_W reads network byte order into a host number.
  if (source.isV4()) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(source.sockaddrPtr());
    return pick(ntohl(v4->sin_addr.s_addr), groupSize);
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(source.sockaddrPtr());
  uint32_t words[2];
  std::memcpy(words, &v6->sin6_addr, sizeof(words));
  return pick(ntohl(words[0]) ^ ntohl(words[1]), groupSize);
}

}  // namespace tg::transport
