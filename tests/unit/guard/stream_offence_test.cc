// Offences of inbound TCP/TLS connections (failed or stalled TLS handshakes, framing errors)
// add up per source and end in a ban, like a scanner's probes; configured peers' zones and
// trusted sources are never banned for them.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "../config/config_test_util.h"
#include "config/config_loader.h"
#include "guard/guard.h"

namespace tg::guard {
namespace {

using transport::StreamOffence;
using transport::Zone;

config::ConfigPtr loadConfig(const std::string& extra) {
  const config::LoadResult r =
      config::loadConfigString(std::string(config::kMinimalConfig) + extra, "t.yaml");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  return r.config;
}

base::Address source(const char* ip) { return *base::Address::parse(ip, 40000); }

struct Fixture {
  explicit Fixture(const std::string& extra = "")
      : config(loadConfig(extra)),
        bans(clock, BanPolicy::from(config->guard.bans)),
        guard(config, nullptr, bans, nullptr, clock) {
    bans.setTrusted(trustedNetworks(*config));
  }
  void offend(Zone zone, const char* ip, uint32_t times,
              StreamOffence offence = StreamOffence::kTlsHandshakeFailed) {
    for (uint32_t i = 0; i < times; ++i) {
      guard.streamOffence(zone, source(ip), offence, clock.now());
    }
  }
  bool banned(const char* ip) const { return bans.isBanned(source(ip), clock.now()); }
  base::ManualClock clock;
  config::ConfigPtr config;
  BanList bans;
  Guard guard;
};

constexpr uint32_t kLimit = 10;  // tcp.offences_before_ban's default

TEST(StreamOffenceTest, RepeatedOffencesInOneWindowBanThePublicSource) {
  Fixture f;
  f.offend(Zone::kPublic, "203.0.113.9", kLimit - 1);
  EXPECT_FALSE(f.banned("203.0.113.9"));
  f.offend(Zone::kPublic, "203.0.113.9", 1, StreamOffence::kFramingError);
  EXPECT_TRUE(f.banned("203.0.113.9"));
  EXPECT_FALSE(f.banned("203.0.113.10")) << "only that source";
  EXPECT_EQ(f.guard.stats().bansIssued, 1u);
  EXPECT_EQ(f.guard.stats().streamOffences, kLimit);
}

TEST(StreamOffenceTest, OffencesSpreadOverLongerThanTheWindowAreForgiven) {
  Fixture f;
  f.offend(Zone::kPublic, "203.0.113.9", kLimit - 1);
  f.clock.advance(std::chrono::seconds(61));  // tcp.offence_window_s's default is 60
  f.guard.housekeeping({});
  f.offend(Zone::kPublic, "203.0.113.9", kLimit - 1);
  EXPECT_FALSE(f.banned("203.0.113.9"));
  f.offend(Zone::kPublic, "203.0.113.9", 1);
  EXPECT_TRUE(f.banned("203.0.113.9"));
}

TEST(StreamOffenceTest, PeersZonesTrustedSourcesAndBansOffNeverBan) {
  {
    Fixture f("guard: { trusted: [ 198.51.100.0/24 ] }\n");
    f.offend(Zone::kTrunk, "203.0.113.9", kLimit * 2);
    f.offend(Zone::kPbx, "203.0.113.9", kLimit * 2);
    EXPECT_FALSE(f.banned("203.0.113.9")) << "configured peers' zones";
    f.offend(Zone::kPublic, "198.51.100.7", kLimit * 2);
    EXPECT_FALSE(f.banned("198.51.100.7")) << "trusted";
  }
  {
    Fixture f("guard: { bans: { enabled: false } }\n");
    f.offend(Zone::kPublic, "203.0.113.9", kLimit * 2);
    EXPECT_FALSE(f.banned("203.0.113.9")) << "bans off";
  }
}

TEST(StreamOffenceTest, TheThresholdAndWindowAreConfigured) {
  Fixture f("tcp: { offences_before_ban: 3, offence_window_s: 5 }\n");
  f.offend(Zone::kPublic, "203.0.113.9", 2);
  f.clock.advance(std::chrono::seconds(6));
  f.offend(Zone::kPublic, "203.0.113.9", 2);
  EXPECT_FALSE(f.banned("203.0.113.9")) << "the first two fell out of the 5 s window";
  f.offend(Zone::kPublic, "203.0.113.9", 1);
  EXPECT_TRUE(f.banned("203.0.113.9"));
  EXPECT_NE(f.guard.stats().bansIssued, 0u);
}

// Workers' guards share one offence table (Gateway::setPeers): the kernel spreads a source's
// connections over every worker, and the threshold holds for the process, not per worker.
TEST(StreamOffenceTest, GuardsThatShareTheTableAddUpTheirOffences) {
  Fixture first;
  Guard second(first.config, nullptr, first.bans, nullptr, first.clock);
  second.shareOffences(first.guard.offences());
  first.offend(Zone::kPublic, "203.0.113.9", kLimit / 2);
  for (uint32_t i = 0; i < kLimit / 2 - 1; ++i) {
    second.streamOffence(Zone::kPublic, source("203.0.113.9"), StreamOffence::kFramingError,
                         first.clock.now());
  }
  EXPECT_FALSE(first.banned("203.0.113.9"));
  second.streamOffence(Zone::kPublic, source("203.0.113.9"), StreamOffence::kFramingError,
                       first.clock.now());
  EXPECT_TRUE(first.banned("203.0.113.9")) << "5 + 5 offences on two workers are 10";
  EXPECT_EQ(second.stats().bansIssued, 1u);
  EXPECT_EQ(first.guard.offences()->size(), 1u);
}

}  // namespace
}  // namespace tg::guard
