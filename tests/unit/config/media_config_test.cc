#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

// The media section starts on line 11, after kMinimalConfig.
LoadResult load(const std::string& media) {
  return loadConfigString(std::string(kMinimalConfig) + media, "test.yaml");
}

TEST(MediaConfig, AnchoredByDefault) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  const MediaSettings& m = r.config->media;
  EXPECT_TRUE(m.anchor);
  EXPECT_TRUE(m.pbx.anchor);
  EXPECT_TRUE(m.trunk.anchor);
  EXPECT_FALSE(m.trunk.address.has_value());
  EXPECT_EQ(m.timeout, std::chrono::seconds(60));
  EXPECT_EQ(m.portMin, 20000);
  EXPECT_EQ(m.portMax, 29999);
}

TEST(MediaConfig, ZonesAddressesAndPinning) {
  const LoadResult r = load(R"(media:
  port_min: 40000
  port_max: 40099
  threads: 2
  timeout_s: 30
  probation_packets: 5
  pbx: { anchor: false }
  trunk: { address: 203.0.113.5 }
  pinned_providers: [ carrier-a ]
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const MediaSettings& m = r.config->media;
  EXPECT_FALSE(m.pbx.anchor);
  ASSERT_TRUE(m.trunk.address.has_value());
  EXPECT_EQ(m.trunk.address->ip(), "203.0.113.5");
  EXPECT_EQ(m.portMin, 40000);
  EXPECT_EQ(m.threads, 2);
  EXPECT_EQ(m.timeout, std::chrono::seconds(30));
  EXPECT_EQ(m.probationPackets, 5);
  EXPECT_EQ(m.pinnedProviders, std::vector<std::string>{"carrier-a"});
}

TEST(MediaConfig, ARangeHoldingAListenerIsRefused) {
  const LoadResult r = load("media:\n  port_min: 5000\n  port_max: 5999\n");
  EXPECT_TRUE(hasError(r, 11, "media.port_min", "holds the trunk listener 'udp://127.0.0.1:5060'"));
  EXPECT_TRUE(hasError(r, 11, "media.port_min", "holds the pbx listener 'udp://127.0.0.1:5070'"));
}

TEST(MediaConfig, TheDefaultRangeMeetsTheListenersToo) {
  const LoadResult r = loadConfigString(R"(pbx:
  listen: [ "udp://127.0.0.1:25060" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://0.0.0.0:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)",
                                        "test.yaml");
  EXPECT_TRUE(hasError(r, 0, "media.port_min", "holds the pbx listener 'udp://127.0.0.1:25060'"));
  EXPECT_TRUE(hasWarning(r, "the trunk zone listens on all interfaces: set media.trunk.address"));
}

TEST(MediaConfig, BadValuesSayWhy) {
  const LoadResult r = load(R"(media:
  port_min: 30001
  port_max: 30003
  trunk: { address: nowhere }
  pinned_providers: [ carrier-z ]
)");
  EXPECT_TRUE(hasError(r, 12, "media.port_min", "must be even"));
  EXPECT_TRUE(hasError(r, 13, "media.port_max", "too small"));
  EXPECT_TRUE(hasError(r, 14, "media.trunk.address", "'nowhere' is not an IP address"));
  EXPECT_TRUE(hasError(r, 15, "media.pinned_providers[0]", "'carrier-z' is not a provider"));
}

}  // namespace
}  // namespace tg::config
