#include "auth/lockout.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "guard/ban/ban_list.h"
#include "guard/security_event.h"
#include "store/memory_store.h"

namespace tg::auth {
namespace {

using namespace std::chrono_literals;

const base::Address kAttacker = *base::Address::parse("203.0.113.9", 5060);
const base::Address kPhone = *base::Address::parse("198.51.100.7", 5060);

class RecordingSink : public guard::EventSink {
 public:
  void record(guard::SecurityEvent e) override {
    ++total;
    if (keep) events.push_back(std::move(e));
  }
  size_t count(std::string_view rule) const {
    size_t n = 0;
    for (const auto& e : events) n += e.rule == rule ? 1 : 0;
    return n;
  }
  bool keep = true;
  size_t total = 0;
  std::vector<guard::SecurityEvent> events;
};

LockoutPolicy policy() {
  LockoutPolicy p;
  p.failures = 3;
  p.window = 60s;
  p.duration = 100s;
  p.factor = 2;
  p.maxDuration = 350s;
  p.perSource = true;
  p.accountFailures = 10;
  p.sourceFailures = 0;  // no bans unless a test asks
  p.maxTracked = 1000;
  return p;
}

void fail(Lockout& l, std::string_view account, const base::Address& from, int times) {
  for (int i = 0; i < times; ++i) l.recordFailure(account, from, transport::Zone::kPublic, "test");
}

TEST(LockoutTest, LocksAfterFailuresForTheDurationOnSimulatedTime) {
  base::ManualClock clock;
  RecordingSink sink;
  Lockout l(clock, policy(), nullptr, &sink);
  fail(l, "201", kAttacker, 2);
  EXPECT_FALSE(l.isLocked("201", kAttacker));
  const FailureOutcome out = l.recordFailure("201", kAttacker, transport::Zone::kPublic, "x");
  EXPECT_TRUE(out.locked);
  EXPECT_FALSE(out.lockedEverywhere);
  EXPECT_EQ(out.lockDuration, 100s);
  EXPECT_TRUE(l.isLocked("201", kAttacker));
  clock.advance(99s);
  EXPECT_TRUE(l.isLocked("201", kAttacker));
  clock.advance(1s);
  EXPECT_FALSE(l.isLocked("201", kAttacker));
  EXPECT_EQ(sink.count("auth.failure"), 3u);
  EXPECT_EQ(sink.count("auth.lockout"), 1u);
  EXPECT_EQ(sink.events.back().action, "lock 100s");
}

TEST(LockoutTest, FailuresOutsideTheWindowDoNotAddUp) {
  base::ManualClock clock;
  Lockout l(clock, policy());
  fail(l, "201", kAttacker, 2);
  clock.advance(121s);  // two windows later the old failures are gone
  fail(l, "201", kAttacker, 2);
  EXPECT_FALSE(l.isLocked("201", kAttacker));
  fail(l, "201", kAttacker, 1);
  EXPECT_TRUE(l.isLocked("201", kAttacker));
}

TEST(LockoutTest, RepeatOffendersAreLockedLongerUpToTheCap) {
  base::ManualClock clock;
  Lockout l(clock, policy());
  const std::vector<std::chrono::seconds> expected = {100s, 200s, 350s, 350s};
  for (const auto d : expected) {
    fail(l, "201", kAttacker, 2);
    const FailureOutcome out = l.recordFailure("201", kAttacker, transport::Zone::kPublic, "x");
    ASSERT_TRUE(out.locked);
    EXPECT_EQ(out.lockDuration, d);
    clock.advance(d);
    EXPECT_FALSE(l.isLocked("201", kAttacker));
  }
}

TEST(LockoutTest, PerSourceLockLeavesTheUserElsewhereAlone) {
  base::ManualClock clock;
  Lockout l(clock, policy());
  fail(l, "201", kAttacker, 3);
  EXPECT_TRUE(l.isLocked("201", kAttacker));
  EXPECT_FALSE(l.isLocked("201", kPhone));
  EXPECT_FALSE(l.isLocked("202", kAttacker));
}

TEST(LockoutTest, ManyFailuresFromManySourcesLockTheAccountEverywhere) {
  base::ManualClock clock;
  Lockout l(clock, policy());
  FailureOutcome last;
  for (int i = 0; i < 10; ++i) {
    const auto from = *base::Address::parse("192.0.2." + std::to_string(i + 1), 5060);
    last = l.recordFailure("201", from, transport::Zone::kPublic, "x");
  }
  EXPECT_TRUE(last.lockedEverywhere);
  EXPECT_TRUE(l.isLocked("201", kPhone));
  const auto changes = l.drainAccountLocks();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].account, "201");
  EXPECT_EQ(changes[0].lockCount, 1);
  EXPECT_TRUE(l.drainAccountLocks().empty());
}

TEST(LockoutTest, WithoutPerSourceTheAccountLocksEverywhere) {
  base::ManualClock clock;
  LockoutPolicy p = policy();
  p.perSource = false;
  Lockout l(clock, p);
  fail(l, "201", kAttacker, 3);
  EXPECT_TRUE(l.isLocked("201", kPhone));
}

TEST(LockoutTest, SuccessClearsTheSourceWindowButNotALock) {
  base::ManualClock clock;
  Lockout l(clock, policy());
  fail(l, "201", kPhone, 2);
  l.recordSuccess("201", kPhone);
  fail(l, "201", kPhone, 2);
  EXPECT_FALSE(l.isLocked("201", kPhone));
  fail(l, "201", kPhone, 1);
  EXPECT_TRUE(l.isLocked("201", kPhone));
  l.recordSuccess("201", kPhone);
  EXPECT_TRUE(l.isLocked("201", kPhone));
}

TEST(LockoutTest, UnlockLiftsEveryLockAndEscalation) {
  base::ManualClock clock;
  Lockout l(clock, policy());
  fail(l, "201", kAttacker, 3);
  fail(l, "201", kPhone, 3);
  EXPECT_TRUE(l.unlock("201"));
  EXPECT_FALSE(l.isLocked("201", kAttacker));
  EXPECT_FALSE(l.isLocked("201", kPhone));
  EXPECT_FALSE(l.unlock("201"));
  fail(l, "201", kAttacker, 2);
  EXPECT_EQ(l.recordFailure("201", kAttacker, transport::Zone::kPublic, "x").lockDuration, 100s);
}

TEST(LockoutTest, RestoredAccountLockHolds) {
  base::ManualClock clock;
  Lockout l(clock, policy());
  l.restoreAccountLock("201", clock.wallNow() + 50s, 2);
  EXPECT_TRUE(l.isLocked("201", kPhone));
  clock.advance(50s);
  EXPECT_FALSE(l.isLocked("201", kPhone));
}

TEST(LockoutTest, SourceFailuresOverAnyAccountsBanTheSource) {
  base::ManualClock clock;
  guard::BanList bans(clock);
  RecordingSink sink;
  LockoutPolicy p = policy();
  p.sourceFailures = 5;
  Lockout l(clock, p, &bans, &sink);
  FailureOutcome out;
  for (int i = 0; i < 5; ++i) {
    out = l.recordFailure(std::to_string(100 + i), kAttacker, transport::Zone::kPublic, "x");
  }
  EXPECT_TRUE(out.sourceBanned);
  EXPECT_TRUE(bans.isBanned(kAttacker, clock.now()));
  EXPECT_FALSE(bans.isBanned(kPhone, clock.now()));
  ASSERT_EQ(sink.count("auth.failures"), 1u);
  const auto ban = bans.list(clock.now());
  ASSERT_EQ(ban.size(), 1u);
  EXPECT_EQ(ban[0].rule, "auth.failures");
}

TEST(LockoutTest, ExpireForgetsQuietEntriesButKeepsLocks) {
  base::ManualClock clock;
  Lockout l(clock, policy());
  fail(l, "201", kAttacker, 1);
  fail(l, "202", kAttacker, 3);  // locked for 100 s
  clock.advance(121s);
  l.expire();
  EXPECT_EQ(l.pairEntries(), 1u);  // 202's lock has ended, but its escalation is remembered
  clock.advance(350s);
  l.expire();
  EXPECT_EQ(l.pairEntries(), 0u);
  EXPECT_EQ(l.accountEntries(), 0u);
  EXPECT_EQ(l.sourceEntries(), 0u);
}

// A credential-stuffing run: a million failures from a million sources against a million
// user names. Every table stays at its cap.
TEST(LockoutTest, MillionFailuresStayWithinTheTableBound) {
  base::ManualClock clock;
  RecordingSink sink;
  sink.keep = false;
  LockoutPolicy p = policy();
  p.maxTracked = 10000;
  p.sourceFailures = 10;
  Lockout l(clock, p, nullptr, &sink);
  for (uint32_t i = 0; i < 1000000; ++i) {
    const std::string ip = "10." + std::to_string((i >> 16) & 0xff) + "." +
                           std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff);
    const auto from = *base::Address::parse(ip, 5060);
    l.recordFailure("user" + std::to_string(i), from, transport::Zone::kPublic, "x");
    if (i % 1000 == 0) clock.advance(1s);
  }
  EXPECT_LE(l.accountEntries(), 10000u);
  EXPECT_LE(l.pairEntries(), 10000u);
  EXPECT_LE(l.sourceEntries(), 10000u);
  EXPECT_EQ(l.accountEntries(), 10000u);
  EXPECT_GE(sink.total, 1000000u);
}

// Credential stuffing against full tables: fresh user names and sources by the thousand must
// not lift the locks of the accounts under attack. The least useful entries (mere failure
// counts, kept two windows) are evicted before a lock (kept max_duration after it ends), and
// every eviction is counted.
void floodKeepsLocks(Lockout& l, const std::function<uint64_t()>& evictions,
                     base::ManualClock& clock) {
  fail(l, "1001", kAttacker, 3);  // locked for the attacker's address
  for (int i = 0; i < 10; ++i) {  // and everywhere, by a distributed guess
    l.recordFailure("1002", *base::Address::parse("192.0.2." + std::to_string(i + 1), 5060),
                    transport::Zone::kPublic, "x");
  }
  ASSERT_TRUE(l.isLocked("1001", kAttacker));
  ASSERT_TRUE(l.isLocked("1002", kPhone));
  constexpr uint32_t kFlood = 20000;  // 20x the cap of 1,000
  for (uint32_t i = 0; i < kFlood; ++i) {
    const std::string ip = "10." + std::to_string((i >> 16) & 0xff) + "." +
                           std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff);
    l.recordFailure("user" + std::to_string(i), *base::Address::parse(ip, 5060),
                    transport::Zone::kPublic, "x");
    if (i % 1000 == 0) clock.advance(1s);  // 20 s in all: the locks (100 s) still run
  }
  EXPECT_TRUE(l.isLocked("1001", kAttacker));
  EXPECT_TRUE(l.isLocked("1002", kPhone));
  EXPECT_GE(evictions(), kFlood - 1000u);
}

TEST(LockoutTest, AFloodAtTheCapEvictsFailureCountsNeverTheLocks) {
  base::ManualClock clock;
  Lockout l(clock, policy());  // maxTracked 1000 per table
  floodKeepsLocks(
      l, [&] { return l.evictions(); }, clock);
  EXPECT_EQ(l.accountEntries(), 1000u);  // at the cap, not above
  EXPECT_EQ(l.pairEntries(), 1000u);
  EXPECT_EQ(l.sourceEntries(), 1000u);
}

TEST(LockoutTest, AFloodAtTheSharedStoresCapEvictsFailureCountsNeverTheLocks) {
  base::ManualClock clock;
  // The families the running gateway gives the lockout tables (app/guard_services.cc).
  store::MemoryStore shared(
      clock, store::MemoryStoreOptions{.maxKeys = 1000, .shards = 1},
      {{"lockout:a:", 1000}, {"lockout:p:", 1000}, {"lockout:s:", 1000}, {"lockout:i:", 1000}});
  Lockout l(clock, policy(), nullptr, nullptr, &shared);
  floodKeepsLocks(
      l, [&] { return l.evictions(); }, clock);
  EXPECT_LE(shared.size(), 4000u);
}

TEST(LockoutTest, LockoutsSharingAStoreCountTogether) {
  // Two gateways (or any two holders of the process's store): failures add up across them.
  base::ManualClock clock;
  store::MemoryStore shared(clock);
  Lockout one(clock, policy(), nullptr, nullptr, &shared);
  Lockout two(clock, policy(), nullptr, nullptr, &shared);
  fail(one, "201", kAttacker, 2);
  EXPECT_FALSE(two.isLocked("201", kAttacker));
  const FailureOutcome out = two.recordFailure("201", kAttacker, transport::Zone::kPublic, "x");
  EXPECT_TRUE(out.locked);
  EXPECT_TRUE(one.isLocked("201", kAttacker));
  EXPECT_TRUE(one.unlock("201"));
  EXPECT_FALSE(two.isLocked("201", kAttacker));
  EXPECT_EQ(one.pairEntries(), 0u);  // the counters are the shared store's
  clock.advance(200s);
  shared.sweep();
  EXPECT_EQ(shared.size(), 0u);  // everything expires once quiet (no lock left)
}

TEST(LockoutTest, TheUnlockIndexHoldsSourcePartsAndStillReadsWholePairKeys) {
  // One index member per pair: the source part only, short enough for no allocation of its
  // own. A shared store may still hold members written as whole pair keys by an older version.
  base::ManualClock clock;
  store::MemoryStore shared(clock);
  Lockout l(clock, policy(), nullptr, nullptr, &shared);
  fail(l, "201", kAttacker, 3);
  ASSERT_TRUE(l.isLocked("201", kAttacker));
  const auto members = store::answerNow<std::vector<std::string>>(
      [&](store::Done<std::vector<std::string>> d) { shared.setMembers("lockout:i:201", d); });
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0], "0.ffffcb007109");  // 203.0.113.9
  shared.erase("lockout:i:201", nullptr);
  shared.setAdd("lockout:i:201", "lockout:p:201 " + members[0], 3600s, nullptr);
  EXPECT_TRUE(l.unlock("201"));
  EXPECT_FALSE(l.isLocked("201", kAttacker));
}

TEST(LockoutTest, FailuresFromSeveralThreadsAreCountedOnce) {
  base::ManualClock clock;
  store::MemoryStore shared(clock);
  LockoutPolicy p = policy();
  p.failures = 1000;  // no lock: only counting
  p.accountFailures = 4 * 50 + 1;
  Lockout l(clock, p, nullptr, nullptr, &shared);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { fail(l, "201", kAttacker, 50); });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(l.isLocked("201", kPhone));
  l.recordFailure("201", kPhone, transport::Zone::kPublic, "x");  // the 201st
  EXPECT_TRUE(l.isLocked("201", kPhone));
}

TEST(LockoutTest, PrintableNameNeutralisesControlCharacters) {
  EXPECT_EQ(printableName("20\r\n1"), "20??1");
  EXPECT_EQ(printableName(std::string(70, 'a')), std::string(64, 'a') + "...");
}

}  // namespace
}  // namespace tg::auth
