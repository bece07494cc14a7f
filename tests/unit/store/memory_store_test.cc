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
  Count add(std::string_view key, int64_t delta, int64_t limit = 0, base::Duration ttl = kForever) {
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

CountStep counterStep(std::string key, int64_t limit) {
  return {CountStep::Kind::kCounter, std::move(key), limit, kForever, 1};
}
CountStep windowStep(std::string key, base::Duration window, int64_t limit) {
  return {CountStep::Kind::kWindow, std::move(key), limit, window, 1};
}

TEST_F(MemoryStoreTest, CountAllCountsEveryStepOrNone) {
  const auto steps = [] {
    return std::vector<CountStep>{counterStep("live", 2), windowStep("rate", seconds(60), 3)};
  };
  auto run = [&](CountMode mode) {
    return answerNow<CountAllResult>(
        [&](Done<CountAllResult> d) { store.countAll(steps(), mode, d); });
  };
  CountAllResult r = run(CountMode::kAllOrNothing);
  EXPECT_TRUE(r.counted);
  EXPECT_EQ(r.refused, -1);
  EXPECT_EQ(r.values, (std::vector<int64_t>{1, 1}));
  EXPECT_TRUE(run(CountMode::kAllOrNothing).counted);
  r = run(CountMode::kAllOrNothing);  // the counter is full: the window is not counted either
  EXPECT_FALSE(r.counted);
  EXPECT_EQ(r.refused, 0);
  EXPECT_EQ(inWindow("rate", seconds(60)), 2);
  add("live", -1);  // a call ended
  EXPECT_TRUE(run(CountMode::kAllOrNothing).counted);
  add("live", -2);
  r = run(CountMode::kAllOrNothing);  // now the window is full: the counter stays
  EXPECT_FALSE(r.counted);
  EXPECT_EQ(r.refused, 1);
  EXPECT_EQ(counter("live"), 0);
  r = run(CountMode::kCheckOnly);
  EXPECT_FALSE(r.counted);
  EXPECT_EQ(r.refused, 1);
  EXPECT_EQ(r.values, (std::vector<int64_t>{0, 3}));
  r = run(CountMode::kAlways);  // shadow mode: counted, and told what was over
  EXPECT_TRUE(r.counted);
  EXPECT_EQ(r.refused, 1);
  EXPECT_EQ(r.values, (std::vector<int64_t>{1, 4}));
  clock.advance(seconds(60));  // the window slid past every event
  add("live", -1);
  r = run(CountMode::kCheckOnly);
  EXPECT_EQ(r.refused, -1);
  EXPECT_EQ(r.values, (std::vector<int64_t>{0, 0}));
}

TEST_F(MemoryStoreTest, SumsCountWholeBucketsWithinTheWindow) {
  auto spend = [&](int64_t amount, base::Duration ago = {}) {
    return answerNow<int64_t>([&](Done<int64_t> d) {
      store.sumAdd("spend", amount, ago, seconds(60), std::chrono::hours(24), d);
    });
  };
  auto total = [&](base::Duration window) {
    return answerNow<int64_t>([&](Done<int64_t> d) { store.sumGet("spend", window, d); });
  };
  clock.advance(std::chrono::hours(10));
  EXPECT_EQ(spend(100), 100);
  clock.advance(seconds(30));
  EXPECT_EQ(spend(50), 150);                             // same minute, same bucket
  EXPECT_EQ(spend(300, std::chrono::minutes(50)), 450);  // restored: 50 minutes ago
  EXPECT_EQ(total(std::chrono::hours(1)), 450);
  clock.advance(std::chrono::minutes(10) + seconds(30));  // 60.5 min after the restored one
  EXPECT_EQ(total(std::chrono::hours(1)), 150);
  EXPECT_EQ(total(std::chrono::hours(24)), 450);
  clock.advance(std::chrono::minutes(50));  // the first bucket ended 60 minutes ago
  EXPECT_EQ(total(std::chrono::hours(1)), 0);
  clock.advance(std::chrono::hours(24));  // the key expires a day after its last bucket
  EXPECT_EQ(total(std::chrono::hours(24)), 0);
  EXPECT_EQ(store.sweep(), 0u);  // the read already dropped it
  EXPECT_EQ(store.size(), 0u);
}

TEST(MemoryStoreFamilyTest, AFloodOfOneFamilyNeverEvictsAnother) {
  base::ManualClock clock;
  MemoryStore store(clock, MemoryStoreOptions{.maxKeys = 100, .shards = 4},
                    {{"nonce:", 10}, {"lockout:", 10}});
  store.put("lockout:a:alice", "locked", kForever);
  store.put("nonce:n1", "1", kForever);
  // Credential stuffing: new user names by the thousand, and plenty of other keys.
  for (int i = 0; i < 5000; ++i) store.put("lockout:p:user" + std::to_string(i), "1", kForever);
  for (int i = 0; i < 5000; ++i) store.put("other" + std::to_string(i), "1", kForever);
  auto has = [&](std::string_view k) {
    return answerNow<std::optional<std::string>>(
               [&](Done<std::optional<std::string>> d) { store.get(k, d); })
        .has_value();
  };
  EXPECT_TRUE(has("nonce:n1"));  // its family was never full
  EXPECT_EQ(store.evictions("nonce:x"), 0u);
  EXPECT_GE(store.evictions("lockout:x"), 5000u - 10u);
  EXPECT_GE(store.evictions("other"), 5000u - 100u);
  EXPECT_LE(store.size(), 10u + 10u + 100u);
  EXPECT_EQ(store.evictions(), store.evictions("lockout:") + store.evictions("other"));
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

TEST(MemoryStoreCapTest, AtTheCapTheKeyDueToExpireFirstGoesBeforeAnOlderLongerLivedOne) {
  // A lock kept for a day, then a flood of failure counts kept for minutes: the flood evicts
  // its own kind and the lock stays, however many are written.
  base::ManualClock clock;
  MemoryStore store(clock, MemoryStoreOptions{.maxKeys = 100, .shards = 1});
  store.put("lock", "v", std::chrono::hours(24));
  for (int i = 0; i < 10000; ++i) store.put("count" + std::to_string(i), "v", seconds(120));
  EXPECT_EQ(store.size(), 100u);
  EXPECT_EQ(store.evictions(), 10000u + 1u - 100u);
  EXPECT_TRUE(answerNow<std::optional<std::string>>([&](Done<std::optional<std::string>> d) {
                store.get("lock", d);
              }).has_value());
}

TEST(MemoryStoreCapTest, KeysGoneFromTheMiddleLeaveTheOrderOfWritingIntact) {
  // Erased, expired and swept keys leave the order; a key written again is the newest.
  base::ManualClock clock;
  MemoryStore store(clock, MemoryStoreOptions{.maxKeys = 4, .shards = 1});
  auto has = [&](std::string_view k) {
    return answerNow<std::optional<std::string>>(
               [&](Done<std::optional<std::string>> d) { store.get(k, d); })
        .has_value();
  };
  store.put("a", "v", kForever);
  store.put("b", "v", kForever);
  store.put("short", "v", seconds(1));
  store.put("c", "v", kForever);
  store.erase("b", nullptr);
  store.put("b", "v", kForever);  // order: a, short, c, b
  clock.advance(seconds(1));
  EXPECT_EQ(store.sweep(), 1u);   // "short", from the middle
  store.put("d", "v", kForever);  // room: no eviction
  EXPECT_EQ(store.evictions(), 0u);
  store.put("e", "v", kForever);  // evicts "a", the oldest
  store.put("f", "v", kForever);  // then "c" (b was written again after it)
  EXPECT_EQ(store.evictions(), 2u);
  EXPECT_FALSE(has("a"));
  EXPECT_FALSE(has("c"));
  for (const char* k : {"b", "d", "e", "f"}) EXPECT_TRUE(has(k)) << k;
  for (const char* k : {"b", "d", "e", "f"}) store.erase(k, nullptr);
  EXPECT_EQ(store.size(), 0u);
  store.put("g", "v", kForever);  // an emptied order starts over
  EXPECT_TRUE(has("g"));
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
        store.compareAndSet("cas" + std::to_string(i % 16), std::nullopt, "x", kForever, nullptr);
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

TEST(MemoryStoreConcurrencyTest, TwoThreadsNeverCountPastALimitTogether) {
  base::ManualClock clock;
  MemoryStore store(clock);
  // Two workers admitting calls of one scope at once: a concurrency limit of 50 and a window
  // of 80, across shards; each admitted call ends (decrement) half of the time.
  std::atomic<int> admitted{0};
  std::atomic<int> ended{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        std::vector<CountStep> steps{counterStep("policy:live:x", 50),
                                     windowStep("policy:rate:x", std::chrono::hours(1), 80)};
        store.countAll(std::move(steps), CountMode::kAllOrNothing, [&](CountAllResult r) {
          if (!r.counted) return;
          admitted.fetch_add(1);
          EXPECT_LE(r.values[0], 50);
          EXPECT_LE(r.values[1], 80);
          if ((i + t) % 2 == 0) {
            store.counterAdd("policy:live:x", -1, 0, kForever, nullptr);
            ended.fetch_add(1);
          }
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 80);  // the window's limit, whoever raced
  int64_t live = 0;
  store.counterGet("policy:live:x", [&](int64_t v) { live = v; });
  EXPECT_EQ(live, admitted.load() - ended.load());
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
