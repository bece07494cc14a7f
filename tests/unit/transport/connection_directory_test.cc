// ConnectionDirectory: every worker's connections in one view, with the caps over all of them.

#include "transport/connection_directory.h"

#include <gtest/gtest.h>

#include "transport/socket_util.h"
#include "transport_test_util.h"

namespace tg::transport {
namespace {

using namespace testing;
using Admission = ConnectionDirectory::Admission;
const base::TimePoint kNow{};

TEST(ConnectionIdTest, CarriesItsOwningWorker) {
  EXPECT_EQ(connectionOwner(makeConnectionId(1, 0)), 0u);
  EXPECT_EQ(connectionOwner(makeConnectionId(7, 3)), 3u);
  EXPECT_EQ(connectionOwner(makeConnectionId(1ull << 40, 63)), 63u);
  EXPECT_NE(makeConnectionId(1, 0), 0u) << "0 means no connection";
  EXPECT_NE(makeConnectionId(1, 1), makeConnectionId(1, 2));
  EXPECT_NE(makeConnectionId(1, 1), makeConnectionId(2, 1));
}

TEST(ConnectionDirectoryTest, CapsCountEveryWorkersConnections) {
  ConnectionDirectory d;
  const ConnectionDirectory::Caps caps{.maxConnections = 3, .maxConnectionsPerSource = 2};
  const auto a = addr("10.0.0.1", 1000);
  EXPECT_EQ(
      d.admitInbound(makeConnectionId(1, 0), Zone::kPublic, TransportKind::kTls, a, caps, kNow),
      Admission::kAdmitted);
  EXPECT_EQ(d.admitInbound(makeConnectionId(1, 1), Zone::kPublic, TransportKind::kTls,
                           addr("10.0.0.1", 1001), caps, kNow),
            Admission::kAdmitted);
  EXPECT_EQ(d.admitInbound(makeConnectionId(2, 1), Zone::kPublic, TransportKind::kTcp,
                           addr("10.0.0.1", 1002), caps, kNow),
            Admission::kOverSource)
      << "the source's two connections are on two workers; the cap sees both";
  EXPECT_EQ(d.inboundFrom(addr("10.0.0.1", 9)), 2u);
  d.addOutbound(makeConnectionId(3, 0), Zone::kTrunk, TransportKind::kTls, addr("10.0.0.9", 5061));
  EXPECT_EQ(d.admitInbound(makeConnectionId(2, 0), Zone::kPublic, TransportKind::kTcp,
                           addr("10.0.0.2", 1000), caps, kNow),
            Admission::kOverTotal);
  EXPECT_EQ(d.size(), 3u);

  d.remove(makeConnectionId(1, 1));
  EXPECT_EQ(d.inboundFrom(a), 1u);
  EXPECT_EQ(d.admitInbound(makeConnectionId(4, 1), Zone::kPublic, TransportKind::kTcp,
                           addr("10.0.0.1", 1003), caps, kNow),
            Admission::kAdmitted);
  d.remove(makeConnectionId(99, 1));  // unknown: nothing happens
  EXPECT_EQ(d.size(), 3u);
}

TEST(ConnectionDirectoryTest, UnlimitedCapsAdmitEverything) {
  ConnectionDirectory d;
  for (uint64_t i = 1; i <= 100; ++i) {
    EXPECT_EQ(d.admitInbound(makeConnectionId(i, 0), Zone::kPbx, TransportKind::kTcp,
                             addr("10.0.0.1", static_cast<uint16_t>(i)), {}, kNow),
              Admission::kAdmitted);
  }
  EXPECT_EQ(d.size(), 100u);
}

TEST(ConnectionDirectoryTest, FindsAReusableConnectionOnAnyWorker) {
  ConnectionDirectory d;
  const auto phone = addr("10.0.0.5", 5060);
  EXPECT_FALSE(d.findReusable(Zone::kPublic, TransportKind::kTls, phone));
  d.admitInbound(makeConnectionId(1, 1), Zone::kPublic, TransportKind::kTls, phone, {}, kNow);
  EXPECT_EQ(d.findReusable(Zone::kPublic, TransportKind::kTls, phone), makeConnectionId(1, 1));
  EXPECT_FALSE(d.findReusable(Zone::kPublic, TransportKind::kTcp, phone)) << "not over tcp";
  EXPECT_FALSE(d.findReusable(Zone::kPbx, TransportKind::kTls, phone)) << "not another zone";
  EXPECT_FALSE(d.findReusable(Zone::kPublic, TransportKind::kTls, addr("10.0.0.5", 5061)));
  d.remove(makeConnectionId(1, 1));
  EXPECT_FALSE(d.findReusable(Zone::kPublic, TransportKind::kTls, phone));
}

TEST(ConnectionDirectoryTest, PerPrefixBudgetCountsA24AndA64) {
  ConnectionDirectory d;
  const ConnectionDirectory::Caps caps{.maxConnectionsPerPrefix = 2};
  uint64_t seq = 1;
  const auto admit = [&](const char* ip) {
    return d.admitInbound(makeConnectionId(seq++, 0), Zone::kPublic, TransportKind::kTcp,
                          addr(ip, 5060), caps, kNow);
  };
  EXPECT_EQ(admit("192.0.2.1"), Admission::kAdmitted);
  EXPECT_EQ(admit("192.0.2.200"), Admission::kAdmitted);
  EXPECT_EQ(admit("192.0.2.77"), Admission::kOverPrefix) << "a third address of the same /24";
  EXPECT_EQ(admit("192.0.3.1"), Admission::kAdmitted) << "the next /24 has its own budget";
  EXPECT_EQ(admit("2001:db8:1:2::1"), Admission::kAdmitted);
  EXPECT_EQ(admit("2001:db8:1:2:ffff::9"), Admission::kAdmitted);
  EXPECT_EQ(admit("2001:db8:1:2:aaaa::1"), Admission::kOverPrefix) << "the same /64";
  EXPECT_EQ(admit("2001:db8:1:3::1"), Admission::kAdmitted);
}

TEST(ConnectionDirectoryTest, PublicConnectionsLeaveTheReserveToPeers) {
  ConnectionDirectory d;
  const ConnectionDirectory::Caps caps{.maxConnections = 4, .reservedForPeers = 2};
  uint64_t seq = 1;
  const auto admit = [&](Zone zone, uint16_t port) {
    return d.admitInbound(makeConnectionId(seq++, 0), zone, TransportKind::kTls,
                          addr("198.51.100.7", port), caps, kNow);
  };
  EXPECT_EQ(admit(Zone::kPublic, 1), Admission::kAdmitted);
  EXPECT_EQ(admit(Zone::kPublic, 2), Admission::kAdmitted);
  EXPECT_EQ(admit(Zone::kPublic, 3), Admission::kOverPublicShare);
  EXPECT_EQ(admit(Zone::kTrunk, 4), Admission::kAdmitted) << "a provider takes the reserve";
  EXPECT_EQ(admit(Zone::kPbx, 5), Admission::kAdmitted);
  EXPECT_EQ(admit(Zone::kPbx, 6), Admission::kOverTotal);
  EXPECT_FALSE(ConnectionDirectory::describe(Admission::kOverPrefix).empty());
}

TEST(ConnectionDirectoryTest, AcceptRatePerSourceIsLimitedPerSecond) {
  ConnectionDirectory d;
  const ConnectionDirectory::Caps caps{.maxAcceptsPerSourcePerSecond = 3};
  uint64_t seq = 1;
  const auto admitAt = [&](const char* ip, std::chrono::milliseconds at) {
    const uint64_t n = seq++;
    return d.admitInbound(makeConnectionId(n, 0), Zone::kPublic, TransportKind::kTls,
                          addr(ip, static_cast<uint16_t>(n)), caps, kNow + at);
  };
  using std::chrono::milliseconds;
  EXPECT_EQ(admitAt("203.0.113.5", milliseconds(0)), Admission::kAdmitted);
  EXPECT_EQ(admitAt("203.0.113.5", milliseconds(100)), Admission::kAdmitted);
  EXPECT_EQ(admitAt("203.0.113.5", milliseconds(200)), Admission::kAdmitted);
  EXPECT_EQ(admitAt("203.0.113.5", milliseconds(300)), Admission::kOverAcceptRate);
  EXPECT_EQ(admitAt("203.0.113.6", milliseconds(300)), Admission::kAdmitted) << "per address";
  EXPECT_EQ(admitAt("203.0.113.5", milliseconds(1000)), Admission::kAdmitted) << "next second";
  d.expireAcceptWindows(kNow + milliseconds(5000));
  EXPECT_EQ(admitAt("203.0.113.5", milliseconds(5000)), Admission::kAdmitted);
  EXPECT_EQ(d.size(), 6u);
}

TEST(ConnectionDirectoryTest, AcceptRatePerPrefixCountsEveryAddressOfThe24) {
  ConnectionDirectory d;
  const ConnectionDirectory::Caps caps{.maxAcceptsPerPrefixPerSecond = 3};
  uint64_t seq = 1;
  const auto admitAt = [&](std::string ip, std::chrono::milliseconds at) {
    const uint64_t n = seq++;
    return d.admitInbound(makeConnectionId(n, 0), Zone::kPublic, TransportKind::kTcp,
                          addr(ip, static_cast<uint16_t>(n)), caps, kNow + at);
  };
  using std::chrono::milliseconds;
  EXPECT_EQ(admitAt("203.0.113.1", milliseconds(0)), Admission::kAdmitted);
  EXPECT_EQ(admitAt("203.0.113.2", milliseconds(0)), Admission::kAdmitted);
  EXPECT_EQ(admitAt("203.0.113.3", milliseconds(0)), Admission::kAdmitted);
  EXPECT_EQ(admitAt("203.0.113.4", milliseconds(10)), Admission::kOverPrefixAcceptRate);
  EXPECT_EQ(admitAt("203.0.114.4", milliseconds(10)), Admission::kAdmitted) << "another /24";
  EXPECT_EQ(admitAt("203.0.113.4", milliseconds(1000)), Admission::kAdmitted) << "next second";
}

TEST(ConnectionDirectoryTest, TlsHandshakeRateIsLimitedPerSourceAndPerPrefixAndSparesTcp) {
  ConnectionDirectory d;
  const ConnectionDirectory::Caps caps{.maxHandshakesPerSourcePerSecond = 2,
                                       .maxHandshakesPerPrefixPerSecond = 3};
  uint64_t seq = 1;
  const auto admit = [&](TransportKind transport, std::string ip) {
    const uint64_t n = seq++;
    return d.admitInbound(makeConnectionId(n, 0), Zone::kPublic, transport,
                          addr(ip, static_cast<uint16_t>(n)), caps, kNow);
  };
  EXPECT_EQ(admit(TransportKind::kTls, "198.51.100.1"), Admission::kAdmitted);
  EXPECT_EQ(admit(TransportKind::kTls, "198.51.100.1"), Admission::kAdmitted);
  EXPECT_EQ(admit(TransportKind::kTls, "198.51.100.1"), Admission::kOverHandshakeRate);
  EXPECT_EQ(admit(TransportKind::kTcp, "198.51.100.1"), Admission::kAdmitted)
      << "plain TCP costs no handshake";
  EXPECT_EQ(admit(TransportKind::kTls, "198.51.100.2"), Admission::kAdmitted);
  EXPECT_EQ(admit(TransportKind::kTls, "198.51.100.3"), Admission::kOverPrefixHandshakeRate);
  EXPECT_EQ(admit(TransportKind::kTls, "198.51.101.3"), Admission::kAdmitted);
  EXPECT_FALSE(ConnectionDirectory::describe(Admission::kOverPrefixHandshakeRate).empty());
  // A refusal spends no budget: after the window, the source has its whole rate again.
  d.expireAcceptWindows(kNow + std::chrono::seconds(2));
  EXPECT_EQ(d.size(), 5u);
}

TEST(PrefixOfTest, MasksToThe24OrThe64WithoutPort) {
  EXPECT_EQ(prefixOf(addr("10.1.2.3", 5060)), addr("10.1.2.0", 0));
  EXPECT_EQ(prefixOf(addr("2001:db8:a:b:c:d:e:f", 5061)), addr("2001:db8:a:b::", 0));
}

}  // namespace
}  // namespace tg::transport
