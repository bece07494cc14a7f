// Protecting and unprotecting a packet must not touch the heap (issue 13: no allocation per
// packet). This test binary replaces malloc and its relatives with counting wrappers around
// glibc's own entry points, so allocations inside libsrtp and its crypto library are counted
// too, not only those of tg_srtp.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <vector>

#include "media/srtp/srtp_session.h"
#include "srtp_test_util.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* pointer);
}

namespace {
std::atomic<bool> counting{false};
std::atomic<size_t> allocations{0};

void countAllocation() {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
}
}  // namespace

extern "C" {
void* malloc(size_t size) noexcept {
  countAllocation();
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) noexcept {
  countAllocation();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, size_t size) noexcept {
  countAllocation();
  return __libc_realloc(pointer, size);
}
void* memalign(size_t alignment, size_t size) noexcept {
  countAllocation();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(size_t alignment, size_t size) noexcept {
  countAllocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  countAllocation();
  void* pointer = __libc_memalign(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *out = pointer;
  return 0;
}
void free(void* pointer) noexcept { __libc_free(pointer); }
}

namespace tg::media::srtp {
namespace {

using test::attributeWithKey;
using test::rtcpReceiverReport;
using test::rtpPacket;

class CountedAllocations {
 public:
  CountedAllocations() {
    allocations = 0;
    counting = true;
  }
  ~CountedAllocations() { counting = false; }
  size_t count() const { return allocations.load(); }
};

class AllocationFree : public testing::TestWithParam<CryptoSuite> {};

INSTANTIATE_TEST_SUITE_P(Suites, AllocationFree,
                         testing::Values(CryptoSuite::kAesCm128HmacSha1_80,
                                         CryptoSuite::kAesCm128HmacSha1_32,
                                         CryptoSuite::kAesCm256HmacSha1_80,
                                         CryptoSuite::kAeadAes128Gcm, CryptoSuite::kAeadAes256Gcm),
                         [](const auto& param) {
                           return std::string(cryptoSuiteName(param.param));
                         });

TEST(AllocationCounter, SeesAllocationsFromC) {
  CountedAllocations counted;
  void* volatile pointer = malloc(16);
  free(pointer);
  EXPECT_EQ(counted.count(), 1u);
}

TEST_P(AllocationFree, ProtectAndUnprotectDoNotAllocate) {
  auto sender = SrtpSender::create(attributeWithKey(GetParam()));
  auto receiver = SrtpReceiver::create(attributeWithKey(GetParam()));
  ASSERT_TRUE(sender.ok()) << sender.error();
  ASSERT_TRUE(receiver.ok()) << receiver.error();

  // Packets are prepared before counting; the first of an SSRC may allocate its stream state.
  constexpr uint16_t kFirst = 100;
  constexpr int kPackets = 50;
  std::vector<std::vector<uint8_t>> rtp;
  for (int i = 0; i <= kPackets + 1; ++i)
    rtp.push_back(rtpPacket(static_cast<uint16_t>(kFirst + i)));
  const std::vector<uint8_t> rtcp = rtcpReceiverReport();
  std::array<uint8_t, 1500> buffer{};

  auto roundTripRtp = [&](const std::vector<uint8_t>& packet) {
    std::copy(packet.begin(), packet.end(), buffer.begin());
    size_t length = packet.size();
    EXPECT_EQ(sender->protectRtp(buffer, length), SrtpStatus::kOk);
    EXPECT_EQ(receiver->unprotectRtp(buffer, length), SrtpStatus::kOk);
  };
  auto roundTripRtcp = [&] {
    std::copy(rtcp.begin(), rtcp.end(), buffer.begin());
    size_t length = rtcp.size();
    EXPECT_EQ(sender->protectRtcp(buffer, length), SrtpStatus::kOk);
    EXPECT_EQ(receiver->unprotectRtcp(buffer, length), SrtpStatus::kOk);
  };
  roundTripRtp(rtp[0]);
  roundTripRtcp();

  size_t counted = 0;
  {
    CountedAllocations allocationsDuring;
    for (int i = 1; i <= kPackets; ++i) {
      roundTripRtp(rtp[static_cast<size_t>(i)]);
      roundTripRtcp();
    }
    // A refused packet (tampered, then replayed) must not allocate either.
    const std::vector<uint8_t>& last = rtp[kPackets + 1];
    std::copy(last.begin(), last.end(), buffer.begin());
    size_t length = last.size();
    std::array<uint8_t, 1500> replay{};
    EXPECT_EQ(sender->protectRtp(buffer, length), SrtpStatus::kOk);
    std::copy(buffer.begin(), buffer.end(), replay.begin());
    size_t replayLength = length;
    buffer[20] ^= 1;
    EXPECT_EQ(receiver->unprotectRtp(buffer, length), SrtpStatus::kAuthFailure);
    length = replayLength;
    EXPECT_EQ(receiver->unprotectRtp(replay, length), SrtpStatus::kOk);
    length = replayLength;
    EXPECT_EQ(receiver->unprotectRtp(replay, length), SrtpStatus::kReplay);
    counted = allocationsDuring.count();
  }
  EXPECT_EQ(counted, 0u) << "heap allocations in " << kPackets << " RTP and RTCP round trips";
}

}  // namespace
}  // namespace tg::media::srtp
