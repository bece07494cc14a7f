#include "store/memory_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"

namespace tg::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class MemoryStoreTest : public ::testing::Test {
 protected:
  Count add(std::string_view key, int64_t delta, int64_t limit = 0,
            base::Duration ttl = kForever) {
    return answerNow<Count>([&](Done<Count> d) { store.counterAdd(key, delta, limit, ttl, d); });
  }
  int64_t counter(std::string_view key) {
    return answerNow<int64_t>([&](Done<int64_t> d) { store.counterGet(key, d); });
  }
  Count hit(std::string_view key, base::Duration window, int64_t limit) {
    return answerNow<Count>([&](Done<Count> d) { store.windowAdd(key, window, limit, d); });
  }
  int64_t inWindow(std::string_view key, base::Duration window) {
    return answerNow<int64_t>([&](Done<int64_t> d) { store.windowCount(key, window, d); });
  }
  std::optional<std::string> value(std::string_view key) {
    return answerNow<std::optional<std::string>>(
        [&](Done<std::optional<std::string>> d) { store.get(key, d); });
  }
  CasResult cas(std::string_view key, std::optional<std::string_view> expected,
                std::string_view next, base::Duration ttl = kForever) {
    return answerNow<CasResult>(
        [&](Done<CasResult> d) { store.compareAndSet(key, expected, next, ttl, d); });
  }
  bool contains(std::string_view key, std::string_view member) {
    return answerNow<bool>([&](Done<bool> d) { store.setContains(key, member, d); });
  }

  base::ManualClock clock;
  MemoryStore store{clock};
};

TEST_F(MemoryStoreTest, AnswersInline) {
  EXPECT_TRUE(store.completesInline());
  bool called = false;
  store.counterAdd("k", 1, 0, kForever, [&](Count c) {
    called = true;
    EXPECT_TRUE(c.counted);
    EXPECT_EQ(c.value, 1);
  });
  EXPECT_TRUE(called);
}

TEST_F(MemoryStoreTest, CounterRefusesAboveItsLimitAndNeverGoesBelowZero) {
  EXPECT_EQ(add("calls", 1, 2).value, 1);
  EXPECT_EQ(add("calls", 1, 2).value, 2);
  const Count refused = add("calls", 1, 2);
  EXPECT_FALSE(refused.counted);
  EXPECT_EQ(refused.value, 2);
  EXPECT_EQ(add("calls", -5).value, 0);
  EXPECT_EQ(counter("calls"), 0);
  EXPECT_EQ(store.size(), 0u);  // a counter back at zero holds no key
}

TEST_F(MemoryStoreTest, CounterExpires) {
  add("c", 3, 0, seconds(10));
  clock.advance(seconds(9));
  EXPECT_EQ(counter("c"), 3);
  add("c", 1, 0, seconds(10));  // the write moves the expiry
  clock.advance(seconds(9));
  EXPECT_EQ(counter("c"), 4);
  clock.advance(seconds(1));
  EXPECT_EQ(counter("c"), 0);
}

TEST_F(MemoryStoreTest, WindowCountsTheLastWindowAndChecksBeforeCounting) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(hit("w", seconds(60), 3).counted) << i;
    clock.advance(seconds(10));
  }
  // Three events at 0, 10 and 20 s; now is 30 s.
  const Count refused = hit("w", seconds(60), 3);
  EXPECT_FALSE(refused.counted);
  EXPECT_EQ(refused.value, 3);
  clock.advance(seconds(30));  // 60 s: the event at 0 s has left
  EXPECT_EQ(inWindow("w", seconds(60)), 2);
  EXPECT_TRUE(hit("w", seconds(60), 3).counted);
  EXPECT_EQ(inWindow("w", seconds(60)), 3);
  // No limit: always counted.
  EXPECT_EQ(hit("w", seconds(60), 0).value, 4);
}

TEST_F(MemoryStoreTest, WindowKeyExpiresAWindowAfterItsLastEvent) {
  hit("w", seconds(5), 0);
  clock.advance(seconds(5));
  EXPECT_EQ(store.sweep(), 1u);
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(MemoryStoreTest, SetMembersExpireOneByOne) {
  bool added = false;
  store.setAdd("bans", "192.0.2.1", seconds(10), [&](bool a) { added = a; });
  EXPECT_TRUE(added);
  store.setAdd("bans", "192.0.2.1", seconds(10), [&](bool a) { added = a; });
  EXPECT_FALSE(added);
  store.setAdd("bans", "198.51.100.0/24", kForever, nullptr);
  clock.advance(seconds(10));
  EXPECT_FALSE(contains("bans", "192.0.2.1"));
  EXPECT_TRUE(contains("bans", "198.51.100.0/24"));
  std::vector<std::string> members;
  store.setMembers("bans", [&](std::vector<std::string> m) { members = std::move(m); });
  EXPECT_EQ(members, std::vector<std::string>{"198.51.100.0/24"});
  bool removed = false;
  store.setRemove("bans", "198.51.100.0/24", [&](bool r) { removed = r; });
  EXPECT_TRUE(removed);
  store.sweep();
  EXPECT_EQ(store.size(), 0u);  // an empty set is no key
}

TEST_F(MemoryStoreTest, ValueExpiresAfterItsTtl) {
  store.put("k", "v", seconds(2));
  EXPECT_EQ(value("k"), "v");
  clock.advance(milliseconds(1999));
  EXPECT_EQ(value("k"), "v");
  clock.advance(milliseconds(1));
  EXPECT_EQ(value("k"), std::nullopt);
  store.put("forever", "v", kForever);
  clock.advance(std::chrono::hours(1000));
  EXPECT_EQ(value("forever"), "v");
}

TEST_F(MemoryStoreTest, CompareAndSetSwapsOnlyTheExpectedValue) {
  EXPECT_TRUE(cas("nc", std::nullopt, "1").swapped());  // absent: created
  const CasResult again = cas("nc", std::nullopt, "1");
  EXPECT_FALSE(again.swapped());
  EXPECT_EQ(again.current, "1");
  const CasResult wrong = cas("nc", "5", "6");
  EXPECT_FALSE(wrong.swapped());
  EXPECT_EQ(value("nc"), "1");
  const CasResult right = cas("nc", "1", "2", seconds(5));
  EXPECT_TRUE(right.swapped());
  EXPECT_EQ(right.current, "2");
  clock.advance(seconds(5));
  EXPECT_TRUE(cas("nc", std::nullopt, "1").swapped());  // expired counts as absent
}

TEST_F(MemoryStoreTest, AKeyOfAnotherKindIsReplacedByAWrite) {
  store.put("k", "text", kForever);
  EXPECT_EQ(counter("k"), 0);
  EXPECT_EQ(add("k", 2).value, 2);
  EXPECT_EQ(value("k"), std::nullopt);
  bool erased = false;
  store.erase("k", [&](bool e) { erased = e; });
  EXPECT_TRUE(erased);
  store.erase("k", [&](bool e) { erased = e; });
  EXPECT_FALSE(erased);
}

TEST_F(MemoryStoreTest, PublishReachesTheChannelsSubscribersOnly) {
  std::vector<std::string> seen;
  const SubscriptionId a = store.subscribe("bans", [&](std::string_view ch, std::string_view m) {
    seen.push_back(std::string(ch) + ":" + std::string(m));
  });
  store.subscribe("other", [&](std::string_view, std::string_view m) {
    seen.push_back("other:" + std::string(m));
  });
  store.publish("bans", "add 192.0.2.1");
  EXPECT_EQ(seen, std::vector<std::string>{"bans:add 192.0.2.1"});
  store.unsubscribe(a);
  store.publish("bans", "ignored");
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(MemoryStoreTest, ASubscriberMayUseTheStore) {
  int64_t counted = 0;
  store.subscribe("c", [&](std::string_view, std::string_view) { counted = add("n", 1).value; });
  store.publish("c", "x");
  EXPECT_EQ(counted, 1);
}

TEST(MemoryStoreCapTest, AtTheCapExpiredKeysGoFirstThenTheOldest) {
  base::ManualClock clock;
  MemoryStore store(clock, MemoryStoreOptions{.maxKeys = 3, .shards = 1});
  store.put("short", "v", seconds(1));
  store.put("old", "v", kForever);
  store.put("newer", "v", kForever);
  clock.advance(seconds(1));
  store.put("fourth", "v", kForever);  // "short" expired: it makes the room
  EXPECT_EQ(store.evictions(), 0u);
  EXPECT_EQ(store.size(), 3u);
  store.put("fifth", "v", kForever);  // none expired: the oldest written goes
  EXPECT_EQ(store.evictions(), 1u);
  EXPECT_EQ(store.size(), 3u);
  auto has = [&](std::string_view k) {
    return answerNow<std::optional<std::string>>(
               [&](Done<std::optional<std::string>> d) { store.get(k, d); })
        .has_value();
  };
  EXPECT_FALSE(has("old"));
  EXPECT_TRUE(has("newer"));
  EXPECT_TRUE(has("fourth"));
  EXPECT_TRUE(has("fifth"));
}

TEST(MemoryStoreCapTest, StaysBoundedUnderAFloodOfNewKeys) {
  base::ManualClock clock;
  MemoryStore store(clock, MemoryStoreOptions{.maxKeys = 64, .shards = 8});
  for (int i = 0; i < 10000; ++i) store.put("k" + std::to_string(i), "v", kForever);
  EXPECT_LE(store.size(), 64u);
  EXPECT_GE(store.evictions(), 10000u - 64u);
}

TEST(MemoryStoreConcurrencyTest, CountsFromSeveralThreadsAreExact) {
  base::ManualClock clock;
  MemoryStore store(clock);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store.counterAdd("shared", 1, 0, kForever, nullptr);
        store.counterAdd("own" + std::to_string(t), 1, 0, kForever, nullptr);
        // A capped window: exactly 100 are admitted, whoever races.
        store.windowAdd("cap", std::chrono::hours(1), 100, [&](Count c) {
          if (c.counted) admitted.fetch_add(1);
        });
        store.compareAndSet("cas" + std::to_string(i % 16), std::nullopt, "x", kForever,
                            nullptr);
      }
    });
  }
  for (auto& th : threads) th.join();
  int64_t shared = 0;
  store.counterGet("shared", [&](int64_t v) { shared = v; });
  EXPECT_EQ(shared, kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    int64_t own = 0;
    store.counterGet("own" + std::to_string(t), [&](int64_t v) { own = v; });
    EXPECT_EQ(own, kPerThread);
  }
  EXPECT_EQ(admitted.load(), 100);
}

TEST(MemoryStoreConcurrencyTest, ExactlyOneRacerWinsACompareAndSet) {
  base::ManualClock clock;
  MemoryStore store(clock);
  for (int round = 0; round < 200; ++round) {
    const std::string key = "nonce" + std::to_string(round);
    std::atomic<int> wins{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        store.compareAndSet(key, std::nullopt, "1", kForever, [&](CasResult r) {
          if (r.swapped()) wins.fetch_add(1);
        });
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(wins.load(), 1) << round;
  }
}

}  // namespace
}  // namespace tg::store
