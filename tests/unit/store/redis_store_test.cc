// RedisStore against a real redis-server (started by the test on a loopback port): every Lua
// script, atomicity across clients that race, expiry on every key, pub/sub between stores, and
// the fail-safe path (Redis paused or killed: local answers within the deadline, limits divided).

#include "store/redis_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.h"
#include "store/redis_scripts.h"

namespace tg::store {
namespace {

using redis_test::RedisServer;
using std::chrono::milliseconds;
using std::chrono::seconds;

template <typename T, typename Op>
T await(Op op) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  op([promise](T value) { promise->set_value(std::move(value)); });
  if (future.wait_for(seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within 5 s";
    return T{};
  }
  return future.get();
}

bool waitFor(const std::function<bool()>& condition, base::Duration limit = seconds(5)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return condition();
}

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<RedisServer>();
    ASSERT_TRUE(server_->ready()) << "redis-server did not start (scripts/install-deps.sh)";
    store_ = make("node1");
  }

  std::unique_ptr<RedisStore> make(std::string node, int nodes = 1,
                                   RedisStore::StateChange onState = {},
                                   base::Duration timeout = milliseconds(200)) {
    RedisStoreOptions o;
    o.link.endpoint.port = server_->port();
    o.link.timeout = timeout;
    o.nodeId = std::move(node);
    o.nodes = nodes;
    auto s = std::make_unique<RedisStore>(o, base::SystemClock::instance(), std::move(onState));
    EXPECT_TRUE(waitFor([&] { return s->shared(); })) << "never connected";
    return s;
  }

  Count add(std::string_view key, int64_t delta, int64_t limit = 0, base::Duration ttl = kForever) {
    return await<Count>([&](Done<Count> d) { store_->counterAdd(key, delta, limit, ttl, d); });
  }
  int64_t counter(std::string_view key) {
    return await<int64_t>([&](Done<int64_t> d) { store_->counterGet(key, d); });
  }
  // Every key in Redis and its time to live in ms (-1: none).
  std::vector<std::pair<std::string, long long>> keysAndTtls() {
    std::vector<std::pair<std::string, long long>> out;
    redisContext* c = server_->connect();
    auto* keys = static_cast<redisReply*>(redisCommand(c, "KEYS *"));
    for (size_t i = 0; keys != nullptr && i < keys->elements; ++i) {
      const std::string k(keys->element[i]->str, keys->element[i]->len);
      auto* ttl = static_cast<redisReply*>(redisCommand(c, "PTTL %b", k.data(), k.size()));
      out.emplace_back(k, ttl->integer);
      freeReplyObject(ttl);
    }
    if (keys != nullptr) freeReplyObject(keys);
    redisFree(c);
    return out;
  }

  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<RedisStore> store_;
};

TEST_F(RedisStoreTest, CounterAddStopsAtItsLimitAndNeverGoesBelowZero) {
  EXPECT_TRUE(add("c", 2, 3).counted);
  const Count refused = add("c", 2, 3);
  EXPECT_FALSE(refused.counted);
  EXPECT_EQ(refused.value, 2);
  EXPECT_EQ(add("c", 1, 3).value, 3);
  EXPECT_EQ(add("c", -5).value, 0);
  EXPECT_EQ(counter("c"), 0);
  EXPECT_EQ(counter("never"), 0);
}

TEST_F(RedisStoreTest, WindowRefusesPastItsLimitAndForgetsOldEvents) {
  auto hit = [&](int64_t limit) {
    return await<Count>(
        [&](Done<Count> d) { store_->windowAdd("w", milliseconds(300), limit, d); });
  };
  EXPECT_EQ(hit(2).value, 1);
  EXPECT_EQ(hit(2).value, 2);
  EXPECT_FALSE(hit(2).counted);
  EXPECT_EQ(
      await<int64_t>([&](Done<int64_t> d) { store_->windowCount("w", milliseconds(300), d); }), 2);
  std::this_thread::sleep_for(milliseconds(400));  // a window later
  EXPECT_EQ(
      await<int64_t>([&](Done<int64_t> d) { store_->windowCount("w", milliseconds(300), d); }), 0);
  EXPECT_TRUE(hit(2).counted);
}

TEST_F(RedisStoreTest, CountAllCountsEveryStepOrNone) {
  const std::vector<CountStep> steps{{CountStep::Kind::kCounter, "{a}:live", 2, kForever, 1},
                                     {CountStep::Kind::kWindow, "{a}:rate", 3, seconds(60), 1}};
  auto run = [&](CountMode mode) {
    return await<CountAllResult>([&](Done<CountAllResult> d) { store_->countAll(steps, mode, d); });
  };
  EXPECT_TRUE(run(CountMode::kAllOrNothing).counted);
  EXPECT_TRUE(run(CountMode::kAllOrNothing).counted);
  const CountAllResult full = run(CountMode::kAllOrNothing);  // live is at 2
  EXPECT_FALSE(full.counted);
  EXPECT_EQ(full.refused, 0);
  EXPECT_EQ(full.values, (std::vector<int64_t>{2, 2}));  // the window was not counted either
  const CountAllResult check = run(CountMode::kCheckOnly);
  EXPECT_FALSE(check.counted);
  EXPECT_EQ(check.refused, 0);
  const CountAllResult shadow = run(CountMode::kAlways);  // counted, over or not
  EXPECT_TRUE(shadow.counted);
  EXPECT_EQ(shadow.refused, 0);
  EXPECT_EQ(shadow.values, (std::vector<int64_t>{3, 3}));
}

TEST_F(RedisStoreTest, SumsAddUpTheirBucketsWithinTheWindow) {
  auto sumAdd = [&](int64_t amount, base::Duration ago) {
    return await<int64_t>([&](Done<int64_t> d) {
      store_->sumAdd("spend", amount, ago, seconds(60), std::chrono::hours(24), d);
    });
  };
  EXPECT_EQ(sumAdd(100, seconds(0)), 100);
  EXPECT_EQ(sumAdd(50, seconds(0)), 150);
  EXPECT_EQ(sumAdd(7, std::chrono::hours(2)), 157);  // restored from before a restart
  auto sumGet = [&](base::Duration window) {
    return await<int64_t>([&](Done<int64_t> d) { store_->sumGet("spend", window, d); });
  };
  EXPECT_EQ(sumGet(std::chrono::hours(1)), 150);
  EXPECT_EQ(sumGet(std::chrono::hours(24)), 157);
  EXPECT_EQ(sumAdd(1, std::chrono::hours(30)), 157);  // older than kept: dropped
}

TEST_F(RedisStoreTest, SetMembersExpireOneByOne) {
  auto addTo = [&](std::string_view m, base::Duration ttl) {
    return await<bool>([&](Done<bool> d) { store_->setAdd("s", m, ttl, d); });
  };
  auto contains = [&](std::string_view m) {
    return await<bool>([&](Done<bool> d) { store_->setContains("s", m, d); });
  };
  EXPECT_TRUE(addTo("a", kForever));
  EXPECT_FALSE(addTo("a", kForever));  // already there
  EXPECT_TRUE(addTo("b", milliseconds(150)));
  EXPECT_TRUE(contains("b"));
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_FALSE(contains("b"));
  EXPECT_TRUE(contains("a"));
  EXPECT_EQ(await<std::vector<std::string>>(
                [&](Done<std::vector<std::string>> d) { store_->setMembers("s", d); }),
            std::vector<std::string>{"a"});
  EXPECT_TRUE(await<bool>([&](Done<bool> d) { store_->setRemove("s", "a", d); }));
  EXPECT_FALSE(contains("a"));
}

TEST_F(RedisStoreTest, ValuesAndCompareAndSet) {
  store_->put("k", "one", seconds(10));
  auto value = [&] {
    return await<std::optional<std::string>>(
        [&](Done<std::optional<std::string>> d) { store_->get("k", d); });
  };
  EXPECT_EQ(value(), "one");
  auto cas = [&](std::optional<std::string_view> expected, std::string_view next) {
    return await<CasResult>(
        [&](Done<CasResult> d) { store_->compareAndSet("k", expected, next, seconds(10), d); });
  };
  const CasResult wrong = cas("zero", "two");
  EXPECT_FALSE(wrong.swapped());
  EXPECT_EQ(wrong.current, "one");
  EXPECT_TRUE(cas("one", "two").swapped());
  EXPECT_FALSE(cas(std::nullopt, "three").swapped());  // not absent
  EXPECT_TRUE(await<bool>([&](Done<bool> d) { store_->erase("k", d); }));
  EXPECT_EQ(value(), std::nullopt);
  EXPECT_TRUE(cas(std::nullopt, "four").swapped());
  EXPECT_EQ(value(), "four");
}

TEST_F(RedisStoreTest, AKeyOfAnotherKindIsReplaced) {
  store_->put("x", "text", seconds(10));
  EXPECT_EQ(add("x", 1).value, 1);  // the value was not a counter: counted from zero
  EXPECT_EQ(await<std::optional<std::string>>(
                [&](Done<std::optional<std::string>> d) { store_->get("x", d); }),
            "1");
  EXPECT_TRUE(
      await<Count>([&](Done<Count> d) { store_->windowAdd("x", seconds(1), 1, d); }).counted);
  EXPECT_EQ(counter("x"), 0);  // now a window
}

TEST_F(RedisStoreTest, EveryKeyHasAnExpiryAndThePrefix) {
  add("c", 1);  // kForever: the safety expiry
  add("c2", 1, 0, seconds(30));
  await<Count>([&](Done<Count> d) { store_->windowAdd("w", seconds(5), 0, d); });
  await<int64_t>(
      [&](Done<int64_t> d) { store_->sumAdd("s", 1, {}, seconds(60), seconds(600), d); });
  await<bool>([&](Done<bool> d) { store_->setAdd("m", "x", kForever, d); });
  store_->put("v", "x", kForever);
  await<CasResult>(
      [&](Done<CasResult> d) { store_->compareAndSet("cas", std::nullopt, "y", kForever, d); });
  const auto keys = keysAndTtls();
  EXPECT_EQ(keys.size(), 7U);
  for (const auto& [k, ttl] : keys) {
    EXPECT_TRUE(k.starts_with("tg:")) << k;
    EXPECT_GT(ttl, 0) << k;
    EXPECT_LE(ttl, redis::kSafetyTtlMs) << k;
  }
}

TEST_F(RedisStoreTest, AScriptFlushedFromRedisIsSentAgain) {
  EXPECT_TRUE(add("c", 1).counted);
  redisContext* c = server_->connect();
  freeReplyObject(redisCommand(c, "SCRIPT FLUSH"));
  redisFree(c);
  EXPECT_EQ(add("c", 1).value, 2);  // NOSCRIPT, then EVAL
  EXPECT_EQ(store_->localAnswers(), 0U);
}

// Many clients (each its own store and connection, as gateways are) race for the last places.
TEST_F(RedisStoreTest, ConcurrentClientsNeverAdmitPastTheLimit) {
  constexpr int kClients = 4;
  constexpr int kTries = 40;
  std::vector<std::unique_ptr<RedisStore>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(make("n" + std::to_string(i)));
  std::atomic<int> admitted{0};
  std::atomic<int> counted{0};
  std::atomic<int> windowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      RedisStore& s = *clients[i];
      for (int t = 0; t < kTries; ++t) {
        const std::vector<CountStep> steps{
            {CountStep::Kind::kCounter, "{acct}:live", 10, kForever, 1},
            {CountStep::Kind::kWindow, "{acct}:rate", 1000, seconds(60), 1}};
        if (await<CountAllResult>([&](Done<CountAllResult> d) {
              s.countAll(steps, CountMode::kAllOrNothing, d);
            }).counted) {
          ++admitted;
        }
        if (await<Count>([&](Done<Count> d) {
              s.counterAdd("plain", 1, 25, kForever, d);
            }).counted) {
          ++counted;
        }
        if (await<Count>([&](Done<Count> d) { s.windowAdd("win", seconds(60), 30, d); }).counted) {
          ++windowed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 10);
  EXPECT_EQ(counted.load(), 25);
  EXPECT_EQ(windowed.load(), 30);
  EXPECT_EQ(counter("{acct}:live"), 10);
  for (const auto& c : clients) EXPECT_EQ(c->localAnswers(), 0U);
}

TEST_F(RedisStoreTest, PublishedMessagesReachEveryNode) {
  auto other = make("node2");
  std::mutex mu;
  std::vector<std::string> heard;
  other->subscribe("bans", [&](std::string_view channel, std::string_view message) {
    std::lock_guard lock(mu);
    heard.push_back(std::string(channel) + "=" + std::string(message));
  });
  other->subscribe("else", [&](std::string_view, std::string_view) { ADD_FAILURE(); });
  // The subscription is made in the background: publish until it is heard.
  ASSERT_TRUE(waitFor([&] {
    store_->publish("bans", "add 192.0.2.1");
    std::this_thread::sleep_for(milliseconds(20));
    std::lock_guard lock(mu);
    return !heard.empty();
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(heard.front(), "bans=add 192.0.2.1");
}

TEST_F(RedisStoreTest, AnswersGoThroughTheCallersPoster) {
  std::mutex mu;
  std::deque<std::function<void()>> posted;
  RedisStore::setThreadPost([&](std::function<void()> f) {
    std::lock_guard lock(mu);
    posted.push_back(std::move(f));
  });
  std::atomic<bool> answered{false};
  store_->counterAdd("c", 1, 0, kForever, [&](Count) { answered = true; });
  RedisStore::setThreadPost(nullptr);
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lock(mu);
    return !posted.empty();
  }));
  EXPECT_FALSE(answered.load());  // not until the caller runs what was posted to it
  std::function<void()> f;
  {
    std::lock_guard lock(mu);
    f = std::move(posted.front());
  }
  f();
  EXPECT_TRUE(answered.load());
}

// Redis paused (SIGSTOP): each answer comes from the local store within the deadline, with the
// limit divided by the nodes; the state says so; resumed, Redis answers again.
TEST_F(RedisStoreTest, APausedRedisFallsBackLocallyWithinTheDeadline) {
  std::mutex mu;
  std::vector<redis::LinkState> states;
  auto s = make(
      "n1", 2,
      [&](redis::LinkState st, const std::string&) {
        std::lock_guard lock(mu);
        states.push_back(st);
      },
      milliseconds(50));
  server_->pause();
  const auto start = std::chrono::steady_clock::now();
  const Count first = await<Count>([&](Done<Count> d) { s->counterAdd("c", 1, 4, kForever, d); });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(first.counted);
  EXPECT_LT(took, milliseconds(1000));  // the deadline, not Redis, decided
  EXPECT_FALSE(s->shared());
  EXPECT_TRUE(await<Count>([&](Done<Count> d) { s->counterAdd("c", 1, 4, kForever, d); }).counted);
  // 4 across 2 nodes: 2 here.
  EXPECT_FALSE(await<Count>([&](Done<Count> d) { s->counterAdd("c", 1, 4, kForever, d); }).counted);
  EXPECT_GE(s->stats().timedOut, 1U);
  server_->resume();
  EXPECT_TRUE(waitFor([&] { return s->shared(); }, seconds(15)));
  // The command that missed its deadline still ran once Redis went on: the local answer stood
  // in for it, and Redis holds its count (a release sent later takes it back there).
  EXPECT_EQ(await<int64_t>([&](Done<int64_t> d) { s->counterGet("c", d); }), 1);
  std::lock_guard lock(mu);
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), redis::LinkState::kUp);
  EXPECT_NE(std::find(states.begin(), states.end(), redis::LinkState::kSlow), states.end());
}

TEST_F(RedisStoreTest, AKilledRedisFallsBackAndIsReconnected) {
  server_->stop();
  EXPECT_TRUE(waitFor([&] { return !store_->shared(); }));
  EXPECT_EQ(store_->stats().state, redis::LinkState::kDown);
  EXPECT_TRUE(add("c", 1, 1).counted);  // locally
  EXPECT_GE(store_->localAnswers(), 1U);
  // Local subscribers still hear local publications.
  std::atomic<int> heard{0};
  store_->subscribe("bans", [&](std::string_view, std::string_view) { ++heard; });
  store_->publish("bans", "x");
  EXPECT_EQ(heard.load(), 1);
  server_->start();
  ASSERT_TRUE(server_->ready());
  EXPECT_TRUE(waitFor([&] { return store_->shared(); }, seconds(15)));
  EXPECT_EQ(add("c", 1, 1).value, 1);  // a fresh Redis
}

TEST(RedisStoreRefuse, WithoutRedisALimitedCountIsRefused) {
  RedisStoreOptions o;
  o.link.endpoint.port = 1;  // nothing listens there
  o.refuseOnFailure = true;
  RedisStore s(o, base::SystemClock::instance());
  EXPECT_FALSE(await<Count>([&](Done<Count> d) { s.counterAdd("c", 1, 5, kForever, d); }).counted);
  EXPECT_TRUE(await<Count>([&](Done<Count> d) { s.counterAdd("c", 1, 0, kForever, d); }).counted);
  const CountAllResult r = await<CountAllResult>([&](Done<CountAllResult> d) {
    s.countAll({{CountStep::Kind::kCounter, "l", 3, kForever, 1}}, CountMode::kAllOrNothing, d);
  });
  EXPECT_FALSE(r.counted);
  EXPECT_EQ(r.refused, 0);
}

TEST(RedisStoreAuth, AnAclUserWithItsPasswordIsServedAndAWrongOneIsNot) {
  RedisServer server(
      {"--user", "default", "off", "--user", "tg", "on", ">s3cret", "~*", "&*", "+@all"});
  ASSERT_TRUE(server.ready());
  RedisStoreOptions o;
  o.link.endpoint.port = server.port();
  o.link.endpoint.username = "tg";
  o.link.endpoint.password = "s3cret";
  o.link.timeout = milliseconds(200);
  RedisStore good(o, base::SystemClock::instance());
  EXPECT_TRUE(waitFor([&] { return good.shared(); }));
  EXPECT_TRUE(
      await<Count>([&](Done<Count> d) { good.counterAdd("c", 1, 0, kForever, d); }).counted);
  EXPECT_EQ(good.localAnswers(), 0U);
  o.link.endpoint.password = "wrong";
  RedisStore bad(o, base::SystemClock::instance());
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(bad.shared());
  EXPECT_TRUE(await<Count>([&](Done<Count> d) { bad.counterAdd("c", 1, 0, kForever, d); }).counted);
  EXPECT_EQ(bad.localAnswers(), 1U);
}

}  // namespace
}  // namespace tg::store
