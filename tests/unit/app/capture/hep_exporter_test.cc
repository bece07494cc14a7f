// The exporter against real loopback collectors: what the workers' taps take arrives as HEP
// over UDP and TCP, in order; a full ring drops and counts instead of waiting.

#include "app/capture/hep_exporter.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "hep_decode.h"

namespace tg::app::capture {
namespace {

using test::decodeHep;

// A loopback socket of the given type bound to an ephemeral port (listening when TCP).
struct Collector {
  int fd = -1;
  base::Address address;
  explicit Collector(int type) {
    fd = ::socket(AF_INET, type, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    address = *base::Address::parse("127.0.0.1", ntohs(sa.sin_port));
    if (type == SOCK_STREAM) ::listen(fd, 4);
  }
  ~Collector() { ::close(fd); }
};

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

std::string invite(int n) {
  return "INVITE sip:1@192.0.2.1 SIP/2.0\r\nCall-ID: call-" + std::to_string(n) +
         "\r\nContent-Length: 0\r\n\r\n";
}

void captureInvite(transport::CaptureTap* tap, int n) {
  const std::string bytes = invite(n);
  tap->capture(
      transport::CapturedMessage{.transport = config::TransportKind::kUdp,
                                 .source = *base::Address::parseHostPort("127.0.0.1:5070"),
                                 .destination = *base::Address::parseHostPort("127.0.0.1:5060"),
                                 .when = std::chrono::system_clock::now(),
                                 .bytes = bytes});
}

config::HepSettings settings(const base::Address& to, bool tcp, int queue) {
  config::HepSettings s;
  s.collector = to;
  s.tcp = tcp;
  s.agentId = 42;
  s.queue = queue;
  return s;
}

TEST(HepExporter, UdpDeliversEveryWorkersMessagesInOrder) {
  Collector udp(SOCK_DGRAM);
  HepExporter exporter(settings(udp.address, false, 64), 2);
  exporter.start();
  for (int i = 0; i < 5; ++i) captureInvite(exporter.tap(0), i);
  for (int i = 5; i < 8; ++i) captureInvite(exporter.tap(1), i);
  std::vector<std::string> seen;
  char buffer[70000];
  while (seen.size() < 8 && readable(udp.fd, 5000)) {
    const ssize_t n = ::recv(udp.fd, buffer, sizeof buffer, 0);
    ASSERT_GT(n, 0);
    const auto p = decodeHep(std::string(buffer, static_cast<size_t>(n)));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->number(12), 42u);
    seen.push_back(p->chunks.at(17));
  }
  ASSERT_EQ(seen.size(), 8u);
  // Each worker's messages keep their order.
  std::vector<std::string> first(seen.begin(), seen.end());
  std::erase_if(first, [](const std::string& s) { return s > "call-4"; });
  EXPECT_EQ(first, (std::vector<std::string>{"call-0", "call-1", "call-2", "call-3", "call-4"}));
  exporter.stop();
  EXPECT_EQ(exporter.stats().sent, 8u);
  EXPECT_EQ(exporter.stats().dropped, 0u);
}

TEST(HepExporter, AFullRingDropsAndCountsWithoutWaiting) {
  Collector udp(SOCK_DGRAM);
  HepExporter exporter(settings(udp.address, false, 16), 1);
  // No sender yet: the ring fills, and the worker's side never blocks.
  for (int i = 0; i < 20; ++i) captureInvite(exporter.tap(0), i);
  EXPECT_EQ(exporter.stats().dropped, 4u);
  exporter.start();
  exporter.stop();  // sends what was queued before it returns
  EXPECT_EQ(exporter.stats().sent, 16u);
  int received = 0;
  char buffer[70000];
  while (readable(udp.fd, 1000) && ::recv(udp.fd, buffer, sizeof buffer, 0) > 0) ++received;
  EXPECT_EQ(received, 16);
}

TEST(HepExporter, TcpStreamsPacketsBackToBack) {
  Collector listener(SOCK_STREAM);
  HepExporter exporter(settings(listener.address, true, 64), 1);
  exporter.start();
  for (int i = 0; i < 3; ++i) captureInvite(exporter.tap(0), i);
  ASSERT_TRUE(readable(listener.fd, 5000));
  const int conn = ::accept(listener.fd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  std::string stream;
  char buffer[4096];
  std::vector<std::string> ids;
  while (ids.size() < 3 && readable(conn, 5000)) {
    const ssize_t n = ::recv(conn, buffer, sizeof buffer, 0);
    ASSERT_GT(n, 0);
    stream.append(buffer, static_cast<size_t>(n));
    while (stream.size() >= 6) {
      const size_t length =
          (static_cast<unsigned char>(stream[4]) << 8) | static_cast<unsigned char>(stream[5]);
      if (stream.size() < length) break;
      const auto p = decodeHep(stream.substr(0, length));
      ASSERT_TRUE(p.has_value());
      ids.push_back(p->chunks.at(17));
      stream.erase(0, length);
    }
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"call-0", "call-1", "call-2"}));
  exporter.stop();
  ::close(conn);
}

TEST(HepExporter, AnUnreachableTcpCollectorCountsSendErrors) {
  base::Address closed;
  {
    Collector gone(SOCK_STREAM);  // bound then closed: nobody listens there
    closed = gone.address;
  }
  HepExporter exporter(settings(closed, true, 64), 1);
  exporter.start();
  captureInvite(exporter.tap(0), 1);
  exporter.stop();
  EXPECT_EQ(exporter.stats().sendErrors, 1u);
  EXPECT_EQ(exporter.stats().sent, 0u);
}

}  // namespace
}  // namespace tg::app::capture
