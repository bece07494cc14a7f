// TransportManager: start/stop, endpoints, and the UDP path.

#include "transport/transport_manager.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "transport_test_util.h"

namespace tg::transport {
namespace {

using namespace testing;

config::Config udpConfig(Zone zone, const std::string& ip = "127.0.0.1") {
  config::Config c;
  auto& listen = zone == Zone::kPbx ? c.pbx.listen : c.trunk.listen;
  listen.push_back(makeListener(TransportKind::kUdp, ip));
  return c;
}

const base::Address& udpAddress(const TransportManager& m, Zone zone) {
  return m.localEndpoint(zone, TransportKind::kUdp)->address;
}

TEST(ZoneName, NamesEveryZone) {
  EXPECT_EQ(zoneName(Zone::kPbx), "pbx");
  EXPECT_EQ(zoneName(Zone::kTrunk), "trunk");
  EXPECT_EQ(zoneName(Zone::kPublic), "public");
}

TEST(TransportManager, EndpointsResolvePortZeroAndPickFirstPerZone) {
  asio::io_context io;
  config::Config c;
  c.pbx.listen = {makeListener(TransportKind::kUdp, "127.0.0.1"),
                  makeListener(TransportKind::kTcp, "127.0.0.1"),
                  makeListener(TransportKind::kUdp, "127.0.0.1")};
  c.trunk.listen = {makeListener(TransportKind::kTcp, "127.0.0.1")};
  c.publicZone = config::PublicZone{};
  TransportManager m(io, c, nullptr, nullptr);
  EXPECT_EQ(m.localEndpoint(Zone::kPbx, TransportKind::kUdp), nullptr);  // before start
  ASSERT_EQ(m.start(), "");

  const auto all = m.endpoints();
  ASSERT_EQ(all.size(), 4u);
  for (const auto& e : all) {
    EXPECT_NE(e.address.port(), 0) << "port 0 must be replaced by the bound port";
    EXPECT_EQ(e.address.ip(), "127.0.0.1");
  }
  const LocalEndpoint* pbxUdp = m.localEndpoint(Zone::kPbx, TransportKind::kUdp);
  ASSERT_NE(pbxUdp, nullptr);
  EXPECT_EQ(pbxUdp->address, all[0].address);
  EXPECT_NE(pbxUdp->address, all[2].address);
  EXPECT_EQ(m.localEndpoint(Zone::kTrunk, TransportKind::kTcp)->address, all[3].address);
  EXPECT_EQ(m.localEndpoint(Zone::kTrunk, TransportKind::kUdp), nullptr);
  EXPECT_EQ(m.localEndpoint(Zone::kPublic, TransportKind::kUdp), nullptr);
  // No tls:// listener: TLS sends leave from the zone's TCP listener address (replies come
  // back on the connection), and endpoints() does not list it.
  ASSERT_NE(m.localEndpoint(Zone::kPbx, TransportKind::kTls), nullptr);
  EXPECT_EQ(m.localEndpoint(Zone::kPbx, TransportKind::kTls)->address, all[1].address);
  EXPECT_EQ(m.localEndpoint(Zone::kPublic, TransportKind::kTls), nullptr);
}

TEST(TransportManager, StartNamesTheListenerThatCannotBind) {
  asio::io_context io;
  // A plain socket (no SO_REUSEPORT) holds the port, so the manager's bind must fail.
  RawSocket holder = RawSocket::udp("127.0.0.1");
  const uint16_t port = holder.local().port();
  config::Config c;
  c.trunk.listen = {makeListener(TransportKind::kTcp, "127.0.0.1")};
  c.pbx.listen = {makeListener(TransportKind::kUdp, "127.0.0.1", port)};
  TransportManager m(io, c, nullptr, nullptr);
  EXPECT_EQ(m.start(),
            "pbx listener udp://127.0.0.1:" + std::to_string(port) + ": Address already in use");
  EXPECT_TRUE(m.endpoints().empty());
  EXPECT_EQ(m.openConnections(), 0u);
}

TEST(TransportManager, TlsListenerWithoutCertificateDoesNotStart) {
  asio::io_context io;
  config::Config c;  // the config loader refuses this; the manager must too
  c.pbx.listen = {makeListener(TransportKind::kUdp, "127.0.0.1")};
  c.trunk.listen = {makeListener(TransportKind::kTls, "127.0.0.1")};
  TransportManager m(io, c, nullptr, nullptr);
  const std::string error = m.start();
  EXPECT_NE(error.find("tls listener: cannot load certificate"), std::string::npos) << error;
  EXPECT_TRUE(m.endpoints().empty());
}

TEST(TransportManager, StopIsIdempotentAndSendAfterStopIsCounted) {
  asio::io_context io;
  Recorder rec;
  TransportManager m(io, udpConfig(Zone::kPbx), rec.packetHandler(), rec.errorHandler());
  ASSERT_EQ(m.start(), "");
  m.stop();
  m.stop();
  m.send({Zone::kPbx, TransportKind::kUdp, addr("127.0.0.1", 9), 0}, "x");
  runFor(io, 20ms);
  EXPECT_EQ(m.stats().sendErrors, 1u);
  EXPECT_TRUE(rec.errors.empty()) << "pending work is dropped on stop, not reported";
  ASSERT_EQ(m.start(), "") << "a stopped manager can start again";
}

TEST(UdpTransport, EchoBothWaysBetweenTwoManagers) {
  asio::io_context io;
  base::ManualClock clock;
  clock.advance(42s);
  Recorder pbxSide, trunkSide;
  TransportManager pbx(io, udpConfig(Zone::kPbx), pbxSide.packetHandler(), pbxSide.errorHandler(),
                       {.clock = &clock});
  // The trunk side echoes what it gets back to where it came from.
  TransportManager* echo = nullptr;
  TransportManager trunk(
      io, udpConfig(Zone::kTrunk),
      [&](Packet&& p) {
        echo->send({p.zone, p.transport, p.source, p.connection}, "echo:" + p.bytes);
        trunkSide.packets.push_back(std::move(p));
      },
      trunkSide.errorHandler());
  echo = &trunk;
  ASSERT_EQ(pbx.start(), "");
  ASSERT_EQ(trunk.start(), "");

  const std::string request = sipMessage("echo");
  pbx.send({Zone::kPbx, TransportKind::kUdp, udpAddress(trunk, Zone::kTrunk), 0}, request);
  ASSERT_TRUE(runUntil(io, [&] { return pbxSide.packets.size() == 1; }));

  ASSERT_EQ(trunkSide.packets.size(), 1u);
  const Packet& in = trunkSide.packets[0];
  EXPECT_EQ(in.bytes, request);
  EXPECT_EQ(in.zone, Zone::kTrunk);
  EXPECT_EQ(in.transport, TransportKind::kUdp);
  EXPECT_EQ(in.connection, 0u);
  EXPECT_EQ(in.source, udpAddress(pbx, Zone::kPbx)) << "sent from the zone's listener socket";
  EXPECT_EQ(in.local, udpAddress(trunk, Zone::kTrunk));

  const Packet& back = pbxSide.packets[0];
  EXPECT_EQ(back.bytes, "echo:" + request);
  EXPECT_EQ(back.zone, Zone::kPbx);
  EXPECT_EQ(back.source, udpAddress(trunk, Zone::kTrunk));
  EXPECT_EQ(back.received, clock.now()) << "received time comes from the injected clock";

  EXPECT_EQ(pbx.stats().datagramsSent, 1u);
  EXPECT_EQ(pbx.stats().datagramsReceived, 1u);
  EXPECT_EQ(trunk.stats().datagramsSent, 1u);
  EXPECT_EQ(trunk.stats().datagramsReceived, 1u);
  EXPECT_TRUE(pbxSide.errors.empty());
  EXPECT_TRUE(trunkSide.errors.empty());
}

TEST(UdpTransport, ABurstOfDatagramsAllArriveInOrder) {
  asio::io_context io;
  Recorder rec;
  TransportManager m(io, udpConfig(Zone::kTrunk), rec.packetHandler(), rec.errorHandler());
  ASSERT_EQ(m.start(), "");
  RawSocket peer = RawSocket::udp("127.0.0.1");
  // Sent before the loop runs, so they wait in the socket and come out in recvmmsg batches.
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(peer.sendTo(udpAddress(m, Zone::kTrunk), sipMessage(std::to_string(i))));
  }
  ASSERT_TRUE(runUntil(io, [&] { return rec.packets.size() == 100; }));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(rec.packets[i].bytes, sipMessage(std::to_string(i)));
    EXPECT_EQ(rec.packets[i].source, peer.local());
  }
  EXPECT_EQ(m.stats().datagramsReceived, 100u);
}

TEST(UdpTransport, OversizeDatagramsAreDroppedAndCounted) {
  asio::io_context io;
  Recorder rec;
  config::Config c = udpConfig(Zone::kPbx);
  c.limits.maxMessageBytes = 1000;
  TransportManager m(io, c, rec.packetHandler(), rec.errorHandler());
  ASSERT_EQ(m.start(), "");
  RawSocket peer = RawSocket::udp("127.0.0.1");
  const base::Address to = udpAddress(m, Zone::kPbx);
  peer.sendTo(to, std::string(1001, 'a'));   // one byte over: fills the spare byte
  peer.sendTo(to, std::string(20000, 'b'));  // far over: truncated by the kernel
  peer.sendTo(to, std::string(1000, 'c'));   // exactly the limit
  ASSERT_TRUE(runUntil(io, [&] { return m.stats().oversizeDropped == 2 && !rec.packets.empty(); }));
  runFor(io, 20ms);
  ASSERT_EQ(rec.packets.size(), 1u);
  EXPECT_EQ(rec.packets[0].bytes, std::string(1000, 'c'));
}

// Sends `payload` to `to` (IPv4) as one UDP datagram cut into two IP fragments, from a raw
// socket (needs CAP_NET_RAW). False when raw sockets are not allowed here.
bool sendAsTwoFragments(const base::Address& to, uint16_t fromPort, const std::string& payload) {
  const int fd = ::socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) return false;
  std::string udp(8, '\0');
  const auto put16 = [](std::string& b, size_t at, uint16_t v) {
    b[at] = static_cast<char>(v >> 8);
    b[at + 1] = static_cast<char>(v & 0xFF);
  };
  put16(udp, 0, fromPort);
  put16(udp, 2, to.port());
  put16(udp, 4, static_cast<uint16_t>(8 + payload.size()));  // checksum 0: none (IPv4)
  udp += payload;
  const size_t firstLength = 64;  // a multiple of 8, as every fragment but the last
  const auto fragment = [&](size_t offset, size_t length, bool more) {
    std::string ip(20, '\0');
    ip[0] = 0x45;
    put16(ip, 2, static_cast<uint16_t>(20 + length));
    put16(ip, 4, 0x5A5A);  // one id for both fragments
    put16(ip, 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
    ip[8] = 64;
    ip[9] = IPPROTO_UDP;
    const uint32_t loopback = htonl(INADDR_LOOPBACK);
    std::memcpy(&ip[12], &loopback, 4);
    std::memcpy(&ip[16], &loopback, 4);  // the kernel fills in the header checksum
    ip += udp.substr(offset, length);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = loopback;
    return ::sendto(fd, ip.data(), ip.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) ==
           static_cast<ssize_t>(ip.size());
  };
  const bool sent =
      fragment(0, firstLength, true) && fragment(firstLength, udp.size() - firstLength, false);
  ::close(fd);
  return sent;
}

TEST(UdpTransport, DatagramsThatCameAsFragmentsAreCounted) {
  asio::io_context io;
  Recorder rec;
  TransportManager m(io, udpConfig(Zone::kPbx), rec.packetHandler(), rec.errorHandler());
  ASSERT_EQ(m.start(), "");
  const base::Address to = udpAddress(m, Zone::kPbx);
  if (!sendAsTwoFragments(to, 40000, sipMessage("fragmented"))) {
    GTEST_SKIP() << "no raw socket here (needs CAP_NET_RAW)";
  }
  ASSERT_TRUE(runUntil(io, [&] { return rec.packets.size() == 1; }));
  EXPECT_EQ(rec.packets[0].bytes, sipMessage("fragmented")) << "reassembled whole";
  RawSocket peer = RawSocket::udp("127.0.0.1");
  ASSERT_TRUE(peer.sendTo(to, sipMessage("whole")));
  ASSERT_TRUE(runUntil(io, [&] { return rec.packets.size() == 2; }));
  EXPECT_EQ(m.stats().datagramsReassembled, 1u) << "only the fragmented one";
  EXPECT_EQ(m.stats().datagramsReceived, 2u);
}

TEST(UdpTransport, KeepAlivesAndEmptyDatagramsAreIgnored) {
  asio::io_context io;
  Recorder rec;
  TransportManager m(io, udpConfig(Zone::kPbx), rec.packetHandler(), rec.errorHandler());
  ASSERT_EQ(m.start(), "");
  RawSocket peer = RawSocket::udp("127.0.0.1");
  const base::Address to = udpAddress(m, Zone::kPbx);
  peer.sendTo(to, "");
  peer.sendTo(to, "\r\n");
  peer.sendTo(to, "\r\n\r\n");
  peer.sendTo(to, "\r\n\r\n\r\n");  // not a keep-alive: the parser decides what it is
  peer.sendTo(to, sipMessage("after"));
  ASSERT_TRUE(runUntil(io, [&] { return rec.packets.size() == 2; }));
  EXPECT_EQ(rec.packets[0].bytes, "\r\n\r\n\r\n");
  EXPECT_EQ(rec.packets[1].bytes, sipMessage("after"));
  EXPECT_EQ(m.stats().keepAlivesIgnored, 3u);
  EXPECT_EQ(m.stats().datagramsReceived, 2u);
}

TEST(UdpTransport, IPv6LoopbackWorks) {
  if (!canBind("::1")) GTEST_SKIP() << "::1 is not available here";
  asio::io_context io;
  Recorder rec;
  config::Config c = udpConfig(Zone::kPbx, "::1");
  c.pbx.listen.push_back(makeListener(TransportKind::kUdp, "127.0.0.1"));
  TransportManager m(io, c, rec.packetHandler(), rec.errorHandler());
  ASSERT_EQ(m.start(), "");
  const base::Address v6 = udpAddress(m, Zone::kPbx);
  ASSERT_TRUE(v6.isV6());
  RawSocket peer = RawSocket::udp("::1");
  peer.sendTo(v6, sipMessage("v6"));
  ASSERT_TRUE(runUntil(io, [&] { return rec.packets.size() == 1; }));
  EXPECT_EQ(rec.packets[0].source, peer.local());
  EXPECT_TRUE(rec.packets[0].local.isV6());

  // Replies pick the listener of the destination's family.
  m.send({Zone::kPbx, TransportKind::kUdp, peer.local(), 0}, "pong6");
  std::optional<std::string> reply;
  base::Address from;
  ASSERT_TRUE(runUntil(io, [&] { return (reply = peer.recvFrom(&from)).has_value(); }));
  EXPECT_EQ(*reply, "pong6");
  EXPECT_EQ(from, v6);
}

TEST(UdpTransport, NoListenerForTheFamilyIsReportedAsynchronously) {
  asio::io_context io;
  Recorder rec;
  TransportManager m(io, udpConfig(Zone::kPbx), rec.packetHandler(), rec.errorHandler());
  ASSERT_EQ(m.start(), "");
  const SendTarget target{Zone::kPbx, TransportKind::kUdp, addr("::1", 5060), 0};
  m.send(target, "x");
  EXPECT_TRUE(rec.errors.empty()) << "never reported from inside send()";
  ASSERT_TRUE(runUntil(io, [&] { return rec.errors.size() == 1; }));
  EXPECT_EQ(rec.errors[0].first.address, target.address);
  EXPECT_NE(rec.errors[0].second.find("no IPv6 udp listener in zone pbx"), std::string::npos);
  EXPECT_EQ(m.stats().sendErrors, 1u);

  m.send({Zone::kTrunk, TransportKind::kUdp, addr("127.0.0.1", 5060), 0}, "x");
  ASSERT_TRUE(runUntil(io, [&] { return rec.errors.size() == 2; }));
  EXPECT_NE(rec.errors[1].second.find("zone trunk"), std::string::npos);
}

TEST(UdpTransport, StopFromInsideThePacketHandlerEndsTheBatch) {
  asio::io_context io;
  int delivered = 0;
  std::unique_ptr<TransportManager> m;
  m = std::make_unique<TransportManager>(
      io, udpConfig(Zone::kPbx),
      [&](Packet&&) {
        ++delivered;
        m->stop();
      },
      nullptr);
  ASSERT_EQ(m->start(), "");
  RawSocket peer = RawSocket::udp("127.0.0.1");
  for (int i = 0; i < 10; ++i) peer.sendTo(udpAddress(*m, Zone::kPbx), sipMessage("s"));
  runFor(io, 100ms);
  EXPECT_EQ(delivered, 1);
  m.reset();
  runFor(io, 20ms);  // handlers still queued must not touch the destroyed manager
}

}  // namespace
}  // namespace tg::transport
