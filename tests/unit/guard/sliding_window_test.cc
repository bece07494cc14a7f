#include "guard/common/sliding_window.h"

#include <gtest/gtest.h>

#include <type_traits>

#include "base/clock.h"
#include "guard/common/source_table.h"

namespace tg::guard {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Per-source state lives in tables of 100k entries: the counter must stay tiny and plain.
static_assert(sizeof(SlidingWindow) <= 16);
static_assert(std::is_trivially_copyable_v<SlidingWindow>);

TEST(SlidingWindowTest, AdmitsUpToTheLimitAndDoesNotCountRefusals) {
  base::ManualClock clock;
  SlidingWindow w;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(w.tryAdd(clock.now(), seconds(1), 5)) << i;
  EXPECT_FALSE(w.tryAdd(clock.now(), seconds(1), 5));
  for (int i = 0; i < 100; ++i) w.tryAdd(clock.now(), seconds(1), 5);
  EXPECT_DOUBLE_EQ(w.estimate(clock.now(), seconds(1)), 5);
  // Two windows later everything has slid out: refused requests left nothing behind.
  clock.advance(seconds(2));
  EXPECT_DOUBLE_EQ(w.estimate(clock.now(), seconds(1)), 0);
  EXPECT_TRUE(w.empty());
}

TEST(SlidingWindowTest, WeighsThePreviousBucketByItsOverlap) {
  base::ManualClock clock;
  SlidingWindow w;
  for (int i = 0; i < 4; ++i) w.add(clock.now(), seconds(1));
  clock.advance(milliseconds(1500));  // half of the first bucket still overlaps
  EXPECT_DOUBLE_EQ(w.estimate(clock.now(), seconds(1)), 2);
  EXPECT_TRUE(w.tryAdd(clock.now(), seconds(1), 4));   // 3
  EXPECT_TRUE(w.tryAdd(clock.now(), seconds(1), 4));   // 4
  EXPECT_FALSE(w.tryAdd(clock.now(), seconds(1), 4));  // would be 5
  clock.advance(milliseconds(500));  // the first bucket is gone, the second is "previous"
  EXPECT_DOUBLE_EQ(w.estimate(clock.now(), seconds(1)), 2);
}

TEST(SlidingWindowTest, ABurstAtABucketEdgeIsNotDoubled) {
  // A fixed window would admit 5 at 0.99 s and 5 more at 1.0 s.
  base::ManualClock clock;
  SlidingWindow w;
  clock.advance(milliseconds(990));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(w.tryAdd(clock.now(), seconds(1), 5));
  clock.advance(milliseconds(20));
  EXPECT_FALSE(w.tryAdd(clock.now(), seconds(1), 5));
}

TEST(SlidingWindowTest, PerWindowScalesTheRateAndAdmitsAtLeastOne) {
  EXPECT_DOUBLE_EQ(perWindow(5, seconds(1)), 5);
  EXPECT_DOUBLE_EQ(perWindow(5, seconds(10)), 50);
  EXPECT_DOUBLE_EQ(perWindow(5, milliseconds(100)), 1);
  EXPECT_DOUBLE_EQ(perWindow(0.5, seconds(1)), 1);
}

base::Address ip(const char* text) { return *base::Address::parse(text, 5060); }

TEST(SourceKeyTest, IgnoresThePortAndGroupsAnIpv6Slash64) {
  EXPECT_EQ(SourceKey::of(*base::Address::parse("192.0.2.1", 1)),
            SourceKey::of(*base::Address::parse("192.0.2.1", 2)));
  EXPECT_EQ(SourceKey::of(ip("192.0.2.1")), SourceKey::of(ip("::ffff:192.0.2.1")));
  EXPECT_FALSE(SourceKey::of(ip("192.0.2.1")) == SourceKey::of(ip("192.0.2.2")));
  EXPECT_EQ(SourceKey::of(ip("2001:db8:1:2::1")), SourceKey::of(ip("2001:db8:1:2:ffff::9")));
  EXPECT_FALSE(SourceKey::of(ip("2001:db8:1:2::1")) == SourceKey::of(ip("2001:db8:1:3::1")));
  EXPECT_FALSE(SourceKey::of(ip("192.0.2.1"), 0) == SourceKey::of(ip("192.0.2.1"), 1));
  // An IPv6 address whose /64 looks like an IPv4 key must not collide with it.
  EXPECT_FALSE(SourceKey::of(ip("::")) == SourceKey::of(ip("0.0.0.0")));
}

TEST(SourceTableTest, EvictsTheLeastRecentlyUsedAtCapacity) {
  SourceTable<int> table(3);
  table.findOrInsert(SourceKey::of(ip("192.0.2.1"))) = 1;
  table.findOrInsert(SourceKey::of(ip("192.0.2.2"))) = 2;
  table.findOrInsert(SourceKey::of(ip("192.0.2.3"))) = 3;
  ASSERT_NE(table.find(SourceKey::of(ip("192.0.2.1"))), nullptr);  // now the most recent
  bool inserted = false;
  EXPECT_EQ(table.findOrInsert(SourceKey::of(ip("192.0.2.4")), &inserted), 0);  // fresh value
  EXPECT_TRUE(inserted);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_EQ(table.find(SourceKey::of(ip("192.0.2.2"))), nullptr);  // the oldest went
  ASSERT_NE(table.find(SourceKey::of(ip("192.0.2.1"))), nullptr);
  EXPECT_EQ(*table.find(SourceKey::of(ip("192.0.2.1"))), 1);
  EXPECT_EQ(*table.find(SourceKey::of(ip("192.0.2.3"))), 3);
}

TEST(SourceTableTest, DropStaleRemovesFromTheOldEndOnly) {
  SourceTable<int> table(10);
  for (int i = 1; i <= 5; ++i) {
    table.findOrInsert(SourceKey::of(*base::Address::parse("192.0.2." + std::to_string(i), 0))) = i;
  }
  EXPECT_EQ(table.dropStale([](int v) { return v <= 2; }), 2u);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.dropStale([](int v) { return v == 5; }), 0u);  // 3 is the oldest: stop
}

}  // namespace
}  // namespace tg::guard
