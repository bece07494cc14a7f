#include "base/counters.h"

#include <gtest/gtest.h>

#include <thread>

namespace tg::base {
namespace {

#define TG_TEST_COUNTERS(X) X(received, "read") X(dropped, "dropped")

struct alignas(kCounterAlign) TestStats {
  TG_TEST_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(TestStats, TG_TEST_COUNTERS)
};

TEST(Counters, AStructFromTheListCountsCopiesAndSums) {
  TestStats a;
  ++a.received;
  a.dropped += 3;
  TestStats copy = a;  // what a snapshot does
  ++a.received;
  EXPECT_EQ(copy.received, 1u);
  EXPECT_EQ(a.received, 2u);
  TestStats total;
  total += a;
  total += copy;
  EXPECT_EQ(total.received, 3u);
  EXPECT_EQ(total.dropped, 6u);
  static_assert(alignof(TestStats) == kCounterAlign);
  static_assert(sizeof(TestStats) % kCounterAlign == 0);  // two workers' structs never share
}

TEST(Counters, AnotherThreadReadsWhileTheOwnerCounts) {
  TestStats stats;
  constexpr uint64_t kCounts = 200000;
  std::thread owner([&] {
    for (uint64_t i = 0; i < kCounts; ++i) ++stats.received;
  });
  uint64_t last = 0;
  bool monotonic = true;
  for (int i = 0; i < 10000; ++i) {
    const TestStats seen = stats;  // the server's snapshot, off the owner's thread
    monotonic = monotonic && seen.received >= last;
    last = seen.received;
  }
  owner.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(stats.received, kCounts);
}

}  // namespace
}  // namespace tg::base
