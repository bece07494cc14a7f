// The relay's threads on loopback with real sockets (media/relay_engine.h): packets cross
// bit-exact both ways once latched, a third party injects nothing and gets nothing back, and
// closing gives the ports back.

#include "media/relay_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "media/port_pool.h"
#include "media_test_util.h"

namespace tg::media {
namespace {

using test::loopback;
using test::Peer;
using test::rangeBase;

std::vector<uint8_t> rtp(uint16_t seq, uint8_t fill) {
  std::vector<uint8_t> p(172, fill);
  p[0] = 0x80;
  p[1] = 0;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[8] = 0x12;
  p[9] = 0x34;
  p[10] = 0x56;
  p[11] = 0x78;  // one SSRC per test; `fill` is the payload
  return p;
}

PeerMedia peerAt(const Peer& p) {
  PeerMedia m;
  m.enabled = true;
  m.rtp = p.address;
  m.rtcp = p.address;
  m.rtcp.setPort(static_cast<uint16_t>(p.address.port() + 1));
  return m;
}

class RelayEngineTest : public ::testing::Test {
 protected:
  RelayEngine engine_{rangeBase(), static_cast<uint16_t>(rangeBase() + 99), 1};
  void SetUp() override { ASSERT_EQ(engine_.start(), ""); }
};

TEST_F(RelayEngineTest, LatchedPeersExchangeBitExactAndASprayerGetsNothing) {
  auto stream = engine_.open(loopback(), loopback());
  ASSERT_NE(stream, nullptr);
  Peer pbx, provider, attacker;
  engine_.setPeer(stream, kSideA, peerAt(pbx), true, false, 3);
  engine_.setPeer(stream, kSideB, peerAt(provider), true, false, 3);
  const base::Address relayA = loopback(stream->legs[kSideA].rtpPort);
  const base::Address relayB = loopback(stream->legs[kSideB].rtpPort);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the commands run

  for (uint16_t seq = 1; seq <= 5; ++seq) pbx.send(relayA, rtp(seq, static_cast<uint8_t>(seq)));
  auto atProvider = provider.receive(300);
  // The first two are probation; the third latches and passes with the rest.
  ASSERT_EQ(atProvider.size(), 3u);
  EXPECT_EQ(atProvider[0], rtp(3, 3));
  EXPECT_EQ(atProvider[2], rtp(5, 5));

  for (uint16_t seq = 100; seq < 104; ++seq) provider.send(relayB, rtp(seq, 0xab));
  auto atPbx = pbx.receive(300);
  ASSERT_EQ(atPbx.size(), 2u);  // 100, 101 in probation
  EXPECT_EQ(atPbx[1], rtp(103, 0xab));

  // A third party sprays both legs' ports with valid-looking RTP.
  for (uint16_t seq = 1; seq <= 20; ++seq) {
    attacker.send(relayA, rtp(seq, 0x66));
    attacker.send(relayB, rtp(seq, 0x66));
    const uint16_t rtcpA = static_cast<uint16_t>(stream->legs[kSideA].rtpPort + 1);
    attacker.send(loopback(rtcpA), rtp(seq, 0x66));
  }
  EXPECT_TRUE(attacker.receive(200).empty());
  EXPECT_TRUE(provider.receive(50).empty());
  EXPECT_TRUE(pbx.receive(50).empty());
  EXPECT_EQ(stream->counters.foreign[kSideA].load(), 40u);  // RTP and RTCP ports of leg A
  EXPECT_EQ(stream->counters.foreign[kSideB].load(), 20u);
  EXPECT_EQ(stream->counters.packets[kSideA].load(), 3u);
  EXPECT_EQ(stream->counters.packets[kSideB].load(), 2u);
  EXPECT_EQ(stream->counters.bytes[kSideA].load(), 3u * 172u);
  EXPECT_GT(stream->counters.lastPacketMs.load(), 0);
}

// Stands for SRTP: flips the payload (unprotect on the way in, protect on the way out).
class FlipPayload final : public PacketTransform {
 public:
  bool apply(uint8_t* data, size_t& size, size_t, bool) override {
    for (size_t i = 12; i < size; ++i) data[i] ^= 0xff;
    return true;
  }
};
// Stands for SRTP whose authentication fails.
class RejectAll final : public PacketTransform {
 public:
  bool apply(uint8_t*, size_t&, size_t, bool) override { return false; }
};

TEST_F(RelayEngineTest, EachLegsTransformRunsAndAFailingOneTeachesTheLatchNothing) {
  auto stream = engine_.open(loopback(), loopback());
  ASSERT_NE(stream, nullptr);
  Peer pbx, provider;
  engine_.setPeer(stream, kSideA, peerAt(pbx), true, false, 1);
  engine_.setPeer(stream, kSideB, peerAt(provider), true, false, 1);
  engine_.setTransforms(stream, kSideB, std::make_shared<RejectAll>(),
                        std::make_shared<FlipPayload>());
  const base::Address relayA = loopback(stream->legs[kSideA].rtpPort);
  const base::Address relayB = loopback(stream->legs[kSideB].rtpPort);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  pbx.send(relayA, rtp(1, 0x0f));
  auto atProvider = provider.receive(300);
  ASSERT_EQ(atProvider.size(), 1u);
  std::vector<uint8_t> flipped = rtp(1, 0x0f);
  for (size_t i = 12; i < flipped.size(); ++i) flipped[i] ^= 0xff;
  EXPECT_EQ(atProvider[0], flipped);  // B's outbound transform ran

  for (uint16_t seq = 1; seq <= 5; ++seq) provider.send(relayB, rtp(seq, 0x22));
  EXPECT_TRUE(pbx.receive(300).empty());  // nothing authenticates: nothing latches
  EXPECT_EQ(stream->counters.foreign[kSideB].load(), 0u);
}

TEST_F(RelayEngineTest, AStreamAboveItsCeilingIsCutAndCounted) {
  auto stream = engine_.open(loopback(), loopback(), 10, 0);  // 10 packets per second
  ASSERT_NE(stream, nullptr);
  Peer pbx, provider;
  engine_.setPeer(stream, kSideA, peerAt(pbx), true, false, 1);
  engine_.setPeer(stream, kSideB, peerAt(provider), true, false, 1);
  const base::Address relayA = loopback(stream->legs[kSideA].rtpPort);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (uint16_t seq = 1; seq <= 40; ++seq) pbx.send(relayA, rtp(seq, 0x01));
  const auto atProvider = provider.receive(300);
  // The second's burst passes (plus what the time the sending took refilled), not the rest.
  EXPECT_GE(atProvider.size(), 10u);
  EXPECT_LE(atProvider.size(), 14u);
  EXPECT_EQ(stream->counters.overRate[kSideA].load() + atProvider.size(), 40u);
}

TEST_F(RelayEngineTest, ClosingGivesThePortsBackAtOnce) {
  const size_t before = engine_.freePortPairs();
  auto stream = engine_.open(loopback(), loopback());
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(engine_.freePortPairs(), before - 2);
  const uint16_t port = stream->legs[kSideA].rtpPort;
  engine_.close(stream);
  for (int i = 0; i < 100 && engine_.freePortPairs() != before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(engine_.freePortPairs(), before);
  // The port can be bound again.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  const base::Address at = loopback(port);
  EXPECT_EQ(::bind(fd, at.sockaddrPtr(), at.sockaddrLen()), 0);
  ::close(fd);
}

TEST_F(RelayEngineTest, AFullRangeOpensNothing) {
  std::vector<std::shared_ptr<RelayStream>> open;
  for (;;) {
    auto s = engine_.open(loopback(), loopback());
    if (!s) break;
    open.push_back(s);
  }
  // 50 pairs, 2 per stream; a pair another program holds is skipped and stays in the pool,
  // where it cannot be bound.
  EXPECT_LE(open.size(), 25u);
  EXPECT_GE(open.size(), 20u);
  EXPECT_EQ(engine_.freePortPairs() + 2 * open.size(), 50u);
  EXPECT_EQ(engine_.open(loopback(), loopback()), nullptr);
  for (auto& s : open) engine_.close(s);
}

TEST_F(RelayEngineTest, PairsAnotherProgramHoldsAreSkippedAndTriedAgainLater) {
  // Another program (a second relay on the host) holds the first 20 pairs of the range.
  std::vector<int> held;
  for (uint16_t port = rangeBase(); port < rangeBase() + 40; ++port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    const base::Address at = loopback(port);
    if (::bind(fd, at.sockaddrPtr(), at.sockaddrLen()) == 0) {
      held.push_back(fd);
    } else {
      ::close(fd);
    }
  }
  auto stream = engine_.open(loopback(), loopback());
  ASSERT_NE(stream, nullptr);
  EXPECT_GE(stream->legs[kSideA].rtpPort, rangeBase() + 40);
  // Nothing was lost: the held pairs went back to the pool, to be tried again later.
  EXPECT_EQ(engine_.freePortPairs(), 48u);
  for (int fd : held) ::close(fd);
  engine_.close(stream);
}

TEST(PortPool, EvenPairsInsideTheRange) {
  PortPool pool(20001, 20010);  // 20002-3 ... 20008-9
  EXPECT_EQ(pool.available(), 4u);
  EXPECT_EQ(pool.take(), 20002);
  EXPECT_EQ(pool.take(), 20004);
  pool.give(20002);
  EXPECT_EQ(pool.take(), 20006);  // a returned pair waits at the back
  EXPECT_EQ(pool.take(), 20008);
  EXPECT_EQ(pool.take(), 20002);
  EXPECT_EQ(pool.take(), std::nullopt);
}

TEST(RelayThreads, DefaultIsCoresLessWorkersAtLeastOne) {
  config::MediaSettings m;
  EXPECT_GE(RelayEngine::threadsFor(m, 64), 1);
  m.threads = 3;
  EXPECT_EQ(RelayEngine::threadsFor(m, 1), 3);
}

}  // namespace
}  // namespace tg::media
