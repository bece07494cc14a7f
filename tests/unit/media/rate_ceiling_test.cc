// The per-stream ceilings (media/rate_ceiling.h) on a manual clock: a second's burst, then the
// refill rate; either ceiling cuts; 0 is no ceiling.

#include "media/rate_ceiling.h"

#include <gtest/gtest.h>

namespace tg::media {
namespace {

TEST(RateCeiling, PacketRateCutsAfterTheBurstAndRefills) {
  RateCeiling c;
  c.configure(50, 0);
  int passed = 0;
  for (int i = 0; i < 200; ++i) passed += c.allow(1000, 172) ? 1 : 0;
  EXPECT_EQ(passed, 50);
  EXPECT_FALSE(c.allow(1000, 172));
  EXPECT_TRUE(c.allow(1020, 172));  // 20 ms at 50/s: one more
  EXPECT_FALSE(c.allow(1020, 172));
}

TEST(RateCeiling, BitrateCutsLargePackets) {
  RateCeiling c;
  c.configure(0, 64);  // 8000 bytes per second
  int passed = 0;
  for (int i = 0; i < 100; ++i) passed += c.allow(0, 1000) ? 1 : 0;
  EXPECT_EQ(passed, 8);
  EXPECT_TRUE(c.allow(125, 1000));  // 125 ms refills 1000 bytes
}

TEST(RateCeiling, ZeroIsNoCeilingAndNormalG711Passes) {
  RateCeiling off;
  off.configure(0, 0);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(off.allow(0, 1500));
  RateCeiling defaults;
  defaults.configure(1000, 20000);
  for (int64_t ms = 0; ms < 60000; ms += 20) ASSERT_TRUE(defaults.allow(ms, 172));
}

}  // namespace
}  // namespace tg::media
