#include "guard/ban/ban_list.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include "config/config_loader.h"
#include "db/ban_store.h"

namespace tg::guard {
namespace {

using namespace std::chrono_literals;
using Outcome = BanResult::Outcome;

base::Address ip(const char* text) { return *base::Address::parse(text, 5060); }
IpPrefix net(const char* text) { return *IpPrefix::parse(text); }

BanPolicy policy() {
  BanPolicy p;
  p.duration = 600s;
  p.factor = 2.0;
  p.maxDuration = 3000s;  // 600, 1200, 2400, then capped at 3000
  p.forgetAfter = 86400s;
  return p;
}

class BanListTest : public ::testing::Test {
 protected:
  base::ManualClock clock_;
  BanList bans_{clock_, policy()};

  BanResult autoBan(const char* source) {
    return bans_.ban(ip(source), "scanner.user_agent", "friendly-scanner", BanOrigin::kAuto,
                     clock_.now());
  }
};

TEST(BanPolicyTest, EscalatesAndCaps) {
  const BanPolicy p = policy();
  EXPECT_EQ(p.durationFor(1), 600s);
  EXPECT_EQ(p.durationFor(2), 1200s);
  EXPECT_EQ(p.durationFor(3), 2400s);
  EXPECT_EQ(p.durationFor(4), 3000s);
  EXPECT_EQ(p.durationFor(1000), 3000s);  // no overflow far past the cap
  BanPolicy flat = p;
  flat.factor = 1.0;
  EXPECT_EQ(flat.durationFor(5), 600s);
}

TEST_F(BanListTest, BansUntilExpiry) {
  EXPECT_FALSE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
  const BanResult r = autoBan("203.0.113.9");
  ASSERT_EQ(r.outcome, Outcome::kBanned);
  EXPECT_EQ(r.duration, 600s);
  EXPECT_EQ(r.offences, 1);
  EXPECT_TRUE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
  EXPECT_TRUE(bans_.isBanned(ip("::ffff:203.0.113.9"), clock_.now()));  // dual-stack view
  EXPECT_FALSE(bans_.isBanned(ip("203.0.113.10"), clock_.now()));
  clock_.advance(599s);
  EXPECT_TRUE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
  clock_.advance(1s);
  EXPECT_FALSE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
  EXPECT_EQ(bans_.size(), 1u);  // still stored until expire()
  EXPECT_EQ(bans_.expire(clock_.now()), 1u);
  EXPECT_EQ(bans_.size(), 0u);
}

TEST_F(BanListTest, RepeatOffendersGetLongerBansUpToTheCap) {
  const std::chrono::seconds expected[] = {600s, 1200s, 2400s, 3000s, 3000s};
  for (int i = 0; i < 5; ++i) {
    const BanResult r = autoBan("203.0.113.9");
    ASSERT_EQ(r.outcome, Outcome::kBanned) << i;
    EXPECT_EQ(r.duration, expected[i]) << i;
    EXPECT_EQ(r.offences, i + 1);
    // While banned, more verdicts against it change nothing (several workers, one flood).
    EXPECT_EQ(autoBan("203.0.113.9").outcome, Outcome::kAlreadyBanned);
    clock_.advance(r.duration);
    EXPECT_FALSE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
  }
}

TEST_F(BanListTest, OffencesAreForgottenAfterAQuietPeriod) {
  ASSERT_EQ(autoBan("203.0.113.9").duration, 600s);
  clock_.advance(600s);
  ASSERT_EQ(autoBan("203.0.113.9").duration, 1200s);
  clock_.advance(1200s + 86400s + 1s);  // the ban ended more than forgetAfter ago
  bans_.expire(clock_.now());
  const BanResult r = autoBan("203.0.113.9");
  EXPECT_EQ(r.duration, 600s);
  EXPECT_EQ(r.offences, 1);
}

TEST_F(BanListTest, OffencesWithinForgetAfterAreKept) {
  ASSERT_EQ(autoBan("203.0.113.9").duration, 600s);
  clock_.advance(600s + 86400s - 1s);
  bans_.expire(clock_.now());
  EXPECT_EQ(autoBan("203.0.113.9").duration, 1200s);
}

TEST_F(BanListTest, TrustedNetworksAreNeverBanned) {
  bans_.setTrusted({net("192.0.2.0/24"), net("2001:db8::/32")});
  BanResult r = autoBan("192.0.2.10");
  EXPECT_EQ(r.outcome, Outcome::kTrusted);
  EXPECT_EQ(r.trustedNetwork.toString(), "192.0.2.0/24");
  EXPECT_FALSE(bans_.isBanned(ip("192.0.2.10"), clock_.now()));
  // A network holding a trusted one is refused too: banning 192.0.0.0/16 would ban the PBX.
  r = bans_.ban(net("192.0.0.0/16"), "manual", "", BanOrigin::kManual, clock_.now(), 0s);
  EXPECT_EQ(r.outcome, Outcome::kTrusted);
  EXPECT_EQ(autoBan("2001:db8::5").outcome, Outcome::kTrusted);
  EXPECT_EQ(bans_.size(), 0u);
  EXPECT_TRUE(bans_.isTrusted(ip("::ffff:192.0.2.10")));
  EXPECT_FALSE(bans_.isTrusted(ip("198.51.100.1")));
}

TEST_F(BanListTest, BanMadeBeforeANetworkBecameTrustedIsIgnored) {
  ASSERT_TRUE(autoBan("192.0.2.10").banned());
  EXPECT_TRUE(bans_.isBanned(ip("192.0.2.10"), clock_.now()));
  bans_.setTrusted({net("192.0.2.10")});  // a provider added on reload
  EXPECT_FALSE(bans_.isBanned(ip("192.0.2.10"), clock_.now()));
}

TEST_F(BanListTest, TrustedNetworksComeFromTheConfig) {
  const auto loaded = config::loadConfigString(R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 10.0.0.5, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - name: carrier-a
      host: 192.0.2.1
      transport: udp
      allow_plaintext: true
      allowed_sources: [ "192.0.2.0/28" ]
guard:
  trusted: [ "198.51.100.0/24" ]
)",
                                               "test.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
  bans_.setTrusted(trustedNetworks(*loaded.config));
  EXPECT_EQ(autoBan("10.0.0.5").outcome, Outcome::kTrusted);       // the PBX
  EXPECT_EQ(autoBan("192.0.2.3").outcome, Outcome::kTrusted);      // the provider
  EXPECT_EQ(autoBan("198.51.100.77").outcome, Outcome::kTrusted);  // admin allowlist
  EXPECT_EQ(autoBan("203.0.113.1").outcome, Outcome::kBanned);
}

TEST_F(BanListTest, NetworkBansAndAnEndedHostBanUnderALiveNetworkBan) {
  ASSERT_TRUE(autoBan("203.0.113.9").banned());  // 600 s
  ASSERT_TRUE(
      bans_.ban(net("203.0.113.0/24"), "manual", "abuse", BanOrigin::kManual, clock_.now(), 7200s)
          .banned());
  // Covered by the /24 now: an automatic ban of a host inside it is a no-op.
  EXPECT_EQ(autoBan("203.0.113.50").outcome, Outcome::kAlreadyBanned);
  clock_.advance(601s);
  // The /32 ended but the /24 still holds it.
  EXPECT_TRUE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
  EXPECT_TRUE(bans_.isBanned(ip("203.0.113.200"), clock_.now()));
  EXPECT_TRUE(bans_.unban(net("203.0.113.0/24")));
  EXPECT_FALSE(bans_.unban(net("203.0.113.0/24")));
  EXPECT_FALSE(bans_.isBanned(ip("203.0.113.200"), clock_.now()));
}

TEST_F(BanListTest, PermanentAndIPv6Bans) {
  ASSERT_TRUE(
      bans_.ban(net("2001:db8:bad::/48"), "manual", "", BanOrigin::kManual, clock_.now(), 0s)
          .banned());
  clock_.advance(24h * 365);
  EXPECT_TRUE(bans_.isBanned(ip("2001:db8:bad::1"), clock_.now()));
  EXPECT_FALSE(bans_.isBanned(ip("2001:db8:bac::1"), clock_.now()));
  const auto listed = bans_.list(clock_.now());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0].permanent());
  EXPECT_EQ(listed[0].toRecord().expiresMs, std::nullopt);
}

TEST_F(BanListTest, ListShowsActiveBansInAddressOrder) {
  autoBan("203.0.113.9");
  autoBan("198.51.100.1");
  bans_.ban(net("2001:db8::/32"), "manual", "", BanOrigin::kManual, clock_.now(), 60s);
  clock_.advance(30s);
  auto listed = bans_.list(clock_.now());
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].network.toString(), "198.51.100.1/32");
  EXPECT_EQ(listed[1].network.toString(), "203.0.113.9/32");
  EXPECT_EQ(listed[2].network.toString(), "2001:db8::/32");
  EXPECT_EQ(listed[0].rule, "scanner.user_agent");
  clock_.advance(31s);
  EXPECT_EQ(bans_.list(clock_.now()).size(), 2u);
}

TEST_F(BanListTest, ChangesAreQueuedForPersistenceOnlyWhenTracked) {
  autoBan("203.0.113.1");
  EXPECT_TRUE(bans_.drainChanges().empty());
  const uint64_t v = bans_.version();
  bans_.trackChanges(true);
  autoBan("203.0.113.2");
  bans_.unban(net("203.0.113.1"));
  EXPECT_GT(bans_.version(), v);
  const auto changes = bans_.drainChanges();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, db::BanWrite::Kind::kUpsert);
  EXPECT_EQ(changes[0].ban.network, "203.0.113.2/32");
  EXPECT_EQ(changes[0].ban.origin, "auto");
  ASSERT_TRUE(changes[0].ban.expiresMs.has_value());
  EXPECT_EQ(*changes[0].ban.expiresMs - changes[0].ban.createdMs, 600000);
  ASSERT_TRUE(changes[0].offence.has_value());
  EXPECT_EQ(changes[0].offence->offences, 1);
  EXPECT_EQ(changes[1].kind, db::BanWrite::Kind::kRemove);
  EXPECT_EQ(changes[1].ban.network, "203.0.113.1/32");
  EXPECT_TRUE(bans_.drainChanges().empty());
}

TEST_F(BanListTest, ReplaceBlocklistSwapsTheFeed) {
  bans_.setTrusted({net("192.0.2.1")});
  EXPECT_EQ(
      bans_.replaceBlocklist({net("203.0.113.0/24"), net("198.51.100.7"), net("192.0.2.0/24")},
                             "blocklist.apiban", clock_.now()),
      2u);  // the trusted one is skipped
  EXPECT_TRUE(bans_.isBanned(ip("203.0.113.5"), clock_.now()));
  EXPECT_FALSE(bans_.isBanned(ip("192.0.2.5"), clock_.now()));
  autoBan("198.51.100.99");
  EXPECT_EQ(bans_.replaceBlocklist({net("198.51.100.7")}, "blocklist.apiban", clock_.now()), 1u);
  EXPECT_FALSE(bans_.isBanned(ip("203.0.113.5"), clock_.now()));
  EXPECT_TRUE(bans_.isBanned(ip("198.51.100.7"), clock_.now()));
  EXPECT_TRUE(bans_.isBanned(ip("198.51.100.99"), clock_.now()));  // not a feed ban: kept
}

// The whole persistence round: ban, write, "restart" (a new BanList and a reopened store),
// restore; expiry and escalation carry over the restart, measured on the wall clock.
TEST(BanPersistenceTest, BansAndOffencesSurviveARestart) {
  std::string pattern = (std::filesystem::temp_directory_path() / "tg-ban-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  const std::string path = (dir / "trunkguard.db").string();
  base::ManualClock clock;
  {
    BanList bans(clock, policy());
    bans.trackChanges(true);
    db::BanStore store(path);
    ASSERT_TRUE(
        bans.ban(ip("203.0.113.9"), "scanner", "x", BanOrigin::kAuto, clock.now()).banned());
    ASSERT_TRUE(bans.ban(net("198.51.100.0/24"), "manual", "y", BanOrigin::kManual, clock.now(), 0s)
                    .banned());
    ASSERT_EQ(store.apply(bans.drainChanges()), "");
  }
  clock.advance(300s);  // down for five minutes
  {
    BanList bans(clock, policy());
    db::BanStore store(path);
    const int64_t nowMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.wallNow().time_since_epoch())
            .count();
    bans.restore(store.loadActive(nowMs), store.loadOffences());
    EXPECT_EQ(bans.size(), 2u);
    EXPECT_TRUE(bans.isBanned(ip("203.0.113.9"), clock.now()));
    EXPECT_TRUE(bans.isBanned(ip("198.51.100.4"), clock.now()));
    clock.advance(299s);
    EXPECT_TRUE(bans.isBanned(ip("203.0.113.9"), clock.now()));
    clock.advance(1s);  // 600 s after the ban, restart included
    EXPECT_FALSE(bans.isBanned(ip("203.0.113.9"), clock.now()));
    // The offence count was restored too: the second ban is twice as long.
    EXPECT_EQ(bans.ban(ip("203.0.113.9"), "scanner", "x", BanOrigin::kAuto, clock.now()).duration,
              1200s);
  }
  clock.advance(3600s);
  {
    // A ban that ended while the gateway was down is not restored.
    BanList bans(clock, policy());
    db::BanStore store(path);
    const int64_t nowMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.wallNow().time_since_epoch())
            .count();
    bans.restore(store.loadActive(nowMs), store.loadOffences());
    EXPECT_FALSE(bans.isBanned(ip("203.0.113.9"), clock.now()));
    EXPECT_TRUE(bans.isBanned(ip("198.51.100.4"), clock.now()));
  }
  std::filesystem::remove_all(dir);
}

TEST_F(BanListTest, ConcurrentReadersAndWriters) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> hits{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      const base::Address a = ip("203.0.113.7");
      while (!stop.load()) hits += bans_.isBanned(a, base::TimePoint{}) ? 1 : 0;
    });
  }
  for (int i = 0; i < 2000; ++i) {
    const IpPrefix p = net(i % 2 ? "203.0.113.7" : "203.0.113.0/24");
    bans_.ban(p, "manual", "", BanOrigin::kManual, base::TimePoint{}, 60s);
    bans_.unban(p);
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(bans_.size(), 0u);
}

TEST_F(BanListTest, AReaderThreadSeesABanAsSoonAsItIsMade) {
  // The reader keeps its snapshot between checks; a change must still reach it at once.
  std::atomic<int> step{0};
  std::atomic<bool> sawClean{false}, sawBan{false}, sawLifted{false};
  std::thread reader([&] {
    const base::Address a = ip("203.0.113.7");
    sawClean = !bans_.isBanned(a, clock_.now());
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    sawBan = bans_.isBanned(a, clock_.now());
    step = 3;
    while (step.load() != 4) std::this_thread::yield();
    sawLifted = !bans_.isBanned(a, clock_.now());
  });
  while (step.load() != 1) std::this_thread::yield();
  bans_.ban(net("203.0.113.0/24"), "manual", "", BanOrigin::kManual, clock_.now(), 60s);
  step = 2;
  while (step.load() != 3) std::this_thread::yield();
  bans_.unban(net("203.0.113.0/24"));
  step = 4;
  reader.join();
  EXPECT_TRUE(sawClean);
  EXPECT_TRUE(sawBan);
  EXPECT_TRUE(sawLifted);
}

TEST_F(BanListTest, EachListHasItsOwnSnapshotOnOneThread) {
  // A thread caches the snapshot it read last: another list must not be answered from it.
  BanList other(clock_, policy());
  autoBan("203.0.113.9");
  EXPECT_TRUE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
  EXPECT_FALSE(other.isBanned(ip("203.0.113.9"), clock_.now()));
  EXPECT_TRUE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
  for (int i = 0; i < 3; ++i) {
    auto fresh = std::make_unique<BanList>(clock_, policy());  // may reuse an address
    EXPECT_FALSE(fresh->isBanned(ip("203.0.113.9"), clock_.now()));
  }
}

TEST_F(BanListTest, ExpiryDropsEndedBansFromTheSnapshot) {
  autoBan("203.0.113.9");
  const uint64_t before = bans_.version();
  clock_.advance(600s);
  EXPECT_EQ(bans_.expire(clock_.now()), 1u);
  EXPECT_GT(bans_.version(), before);  // a new snapshot without the ended ban
  EXPECT_FALSE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
}

TEST_F(BanListTest, RecentChangesOverrideTheSettledBansUntilAndAfterTheFold) {
  // Enough bans to be folded into the settled trie, then changes on top of them.
  for (int i = 0; i < static_cast<int>(BanList::kMaxRecentChanges) + 10; ++i) {
    const std::string host = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    bans_.ban(net(host.c_str()), "manual", "", BanOrigin::kManual, clock_.now(), 600s);
  }
  EXPECT_TRUE(bans_.isBanned(ip("10.0.0.5"), clock_.now()));
  EXPECT_TRUE(bans_.unban(net("10.0.0.5")));  // lifted after the fold: a recent change
  EXPECT_FALSE(bans_.isBanned(ip("10.0.0.5"), clock_.now()));
  bans_.ban(net("10.0.0.6"), "manual", "", BanOrigin::kManual, clock_.now(), 1s);  // shorter
  clock_.advance(1s);
  EXPECT_FALSE(bans_.isBanned(ip("10.0.0.6"), clock_.now()));
  EXPECT_TRUE(bans_.isBanned(ip("10.0.0.7"), clock_.now()));
  bans_.expire(clock_.now());  // folds
  EXPECT_FALSE(bans_.isBanned(ip("10.0.0.5"), clock_.now()));
  EXPECT_FALSE(bans_.isBanned(ip("10.0.0.6"), clock_.now()));
  EXPECT_TRUE(bans_.isBanned(ip("10.0.0.7"), clock_.now()));
}

TEST_F(BanListTest, RestoreForgetsBansMadeBeforeIt) {
  autoBan("203.0.113.9");
  bans_.restore({}, {});  // the table no longer holds it
  EXPECT_FALSE(bans_.isBanned(ip("203.0.113.9"), clock_.now()));
}

}  // namespace
}  // namespace tg::guard
