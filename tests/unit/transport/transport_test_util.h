#pragma once

// Helpers for transport tests: configs with loopback listeners, bounded io_context loops, and
// plain sockets for the far side. Everything stays on 127.0.0.0/8 and ::1.

// A standard header before asio: asio 1.22 chooses aligned_alloc/free or operator new/delete
// from a libstdc++ macro, and translation units that see it differently mix the two
// (AddressSanitizer: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
// clang-format on
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "config/config.h"
#include "transport/transport.h"

namespace tg::transport::testing {

using namespace std::chrono_literals;
using config::TransportKind;

inline base::Address addr(const std::string& ip, uint16_t port = 0) {
  return *base::Address::parse(ip, port);
}

inline config::Listener makeListener(TransportKind transport, const std::string& ip,
                                     uint16_t port = 0) {
  config::Listener l;
  l.transport = transport;
  l.address = addr(ip, port);
  l.text = std::string(config::transportName(transport)) + "://" + l.address.toString();
  return l;
}

// Runs the loop until `done()` or `limit` passes; returns done().
template <class Pred>
bool runUntil(asio::io_context& io, Pred done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_for(5ms);
    if (io.stopped()) io.restart();
  }
  return true;
}

inline void runFor(asio::io_context& io, std::chrono::milliseconds d) {
  runUntil(
      io, [] { return false; }, d);
}

// An OPTIONS request with a correct Content-Length.
inline std::string sipMessage(const std::string& tag, const std::string& body = "") {
  return "OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-" +
         tag +
         "\r\n"
         "Call-ID: " +
         tag +
         "\r\n"
         "CSeq: 1 OPTIONS\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// True when `ip` can be bound here (e.g. ::1 in a container without IPv6).
inline bool canBind(const std::string& ip) {
  const base::Address a = addr(ip);
  const int fd = ::socket(a.isV6() ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  const bool ok = ::bind(fd, a.sockaddrPtr(), a.sockaddrLen()) == 0;
  ::close(fd);
  return ok;
}

// A plain non-blocking socket playing the peer.
class RawSocket {
 public:
  RawSocket() = default;
  explicit RawSocket(int fd) : fd_(fd) {}
  RawSocket(RawSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RawSocket& operator=(RawSocket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }

  static RawSocket udp(const std::string& ip) {
    const base::Address a = addr(ip);
    RawSocket s(::socket(a.isV6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    ::bind(s.fd_, a.sockaddrPtr(), a.sockaddrLen());
    return s;
  }

  // A TCP socket bound to `ip`, optionally listening (backlog), not connected.
  static RawSocket tcpBound(const std::string& ip, std::optional<int> backlog = std::nullopt) {
    const base::Address a = addr(ip);
    RawSocket s(::socket(a.isV6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
    ::bind(s.fd_, a.sockaddrPtr(), a.sockaddrLen());
    if (backlog) ::listen(s.fd_, *backlog);
    return s;
  }

  // Connects (blocking: the kernel completes it without the server accepting), then switches
  // to non-blocking. Returns an invalid socket on failure.
  static RawSocket tcpConnect(const base::Address& to, const std::string& fromIp = "") {
    RawSocket s(::socket(to.isV6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
    if (!fromIp.empty()) {
      const base::Address from = addr(fromIp);
      if (::bind(s.fd_, from.sockaddrPtr(), from.sockaddrLen()) != 0) return RawSocket();
    }
    if (::connect(s.fd_, to.sockaddrPtr(), to.sockaddrLen()) != 0) return RawSocket();
    ::fcntl(s.fd_, F_SETFL, ::fcntl(s.fd_, F_GETFL) | O_NONBLOCK);
    const int on = 1;
    ::setsockopt(s.fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return s;
  }

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  base::Address local() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return base::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  }

  bool sendTo(const base::Address& to, std::string_view bytes) {
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, to.sockaddrPtr(), to.sockaddrLen()) ==
           static_cast<ssize_t>(bytes.size());
  }

  std::optional<std::string> recvFrom(base::Address* from = nullptr) {
    std::string buf(70000, '\0');
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return std::nullopt;
    if (from) *from = base::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

  // Writes everything (the tests write little; a full buffer would be a test bug).
  bool write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Appends what is readable now; false once the peer closed or reset the connection.
  bool readAvailable(std::string& out) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return false;
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
  }

 private:
  int fd_ = -1;
};

// Collects what a manager delivers and reports.
struct Recorder {
  std::vector<Packet> packets;
  std::vector<std::pair<SendTarget, std::string>> errors;

  PacketHandler packetHandler() {
    return [this](Packet&& p) { packets.push_back(std::move(p)); };
  }
  SendErrorHandler errorHandler() {
    return [this](const SendTarget& t, std::string_view reason) {
      errors.emplace_back(t, std::string(reason));
    };
  }
};

}  // namespace tg::transport::testing
