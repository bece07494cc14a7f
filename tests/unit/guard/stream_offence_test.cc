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

constexpr uint32_t kLimit = Guard::kOffencesBeforeBan;

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
  f.clock.advance(Guard::kOffenceWindow + std::chrono::seconds(1));
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

}  // namespace
}  // namespace tg::guard
