// ConnectionDirectory: every worker's connections in one view, with the caps over all of them.

#include "transport/connection_directory.h"

#include <gtest/gtest.h>

#include "transport_test_util.h"

namespace tg::transport {
namespace {

using namespace testing;
using Admission = ConnectionDirectory::Admission;

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
  EXPECT_EQ(d.admitInbound(makeConnectionId(1, 0), Zone::kPublic, TransportKind::kTls, a, caps),
            Admission::kAdmitted);
  EXPECT_EQ(d.admitInbound(makeConnectionId(1, 1), Zone::kPublic, TransportKind::kTls,
                           addr("10.0.0.1", 1001), caps),
            Admission::kAdmitted);
  EXPECT_EQ(d.admitInbound(makeConnectionId(2, 1), Zone::kPublic, TransportKind::kTcp,
                           addr("10.0.0.1", 1002), caps),
            Admission::kOverSource)
      << "the source's two connections are on two workers; the cap sees both";
  EXPECT_EQ(d.inboundFrom(addr("10.0.0.1", 9)), 2u);
  d.addOutbound(makeConnectionId(3, 0), Zone::kTrunk, TransportKind::kTls, addr("10.0.0.9", 5061));
  EXPECT_EQ(d.admitInbound(makeConnectionId(2, 0), Zone::kPublic, TransportKind::kTcp,
                           addr("10.0.0.2", 1000), caps),
            Admission::kOverTotal);
  EXPECT_EQ(d.size(), 3u);

  d.remove(makeConnectionId(1, 1));
  EXPECT_EQ(d.inboundFrom(a), 1u);
  EXPECT_EQ(d.admitInbound(makeConnectionId(4, 1), Zone::kPublic, TransportKind::kTcp,
                           addr("10.0.0.1", 1003), caps),
            Admission::kAdmitted);
  d.remove(makeConnectionId(99, 1));  // unknown: nothing happens
  EXPECT_EQ(d.size(), 3u);
}

TEST(ConnectionDirectoryTest, UnlimitedCapsAdmitEverything) {
  ConnectionDirectory d;
  for (uint64_t i = 1; i <= 100; ++i) {
    EXPECT_EQ(d.admitInbound(makeConnectionId(i, 0), Zone::kPbx, TransportKind::kTcp,
                             addr("10.0.0.1", static_cast<uint16_t>(i)), {}),
              Admission::kAdmitted);
  }
  EXPECT_EQ(d.size(), 100u);
}

TEST(ConnectionDirectoryTest, FindsAReusableConnectionOnAnyWorker) {
  ConnectionDirectory d;
  const auto phone = addr("10.0.0.5", 5060);
  EXPECT_FALSE(d.findReusable(Zone::kPublic, TransportKind::kTls, phone));
  d.admitInbound(makeConnectionId(1, 1), Zone::kPublic, TransportKind::kTls, phone, {});
  EXPECT_EQ(d.findReusable(Zone::kPublic, TransportKind::kTls, phone), makeConnectionId(1, 1));
  EXPECT_FALSE(d.findReusable(Zone::kPublic, TransportKind::kTcp, phone)) << "not over tcp";
  EXPECT_FALSE(d.findReusable(Zone::kPbx, TransportKind::kTls, phone)) << "not another zone";
  EXPECT_FALSE(d.findReusable(Zone::kPublic, TransportKind::kTls, addr("10.0.0.5", 5061)));
  d.remove(makeConnectionId(1, 1));
  EXPECT_FALSE(d.findReusable(Zone::kPublic, TransportKind::kTls, phone));
}

}  // namespace
}  // namespace tg::transport
