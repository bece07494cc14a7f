// pbx.targets[].name / identity_header / sources and policy.zone_limits (issue 12 item 2):
// who a PBX call counts as in the call policy, and the caps no account can dodge.

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

constexpr const char* kTrunk = R"(trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - { name: carrier-a, host: 192.0.2.1, transport: udp, allow_plaintext: true }
)";

LoadResult loadPbx(const std::string& targets, const std::string& more = "") {
  return loadConfigString(
      "pbx:\n  listen: [ \"udp://127.0.0.1:5070\" ]\n  allowed_sources: [ 192.0.2.0/24 ]\n"
      "  targets:\n" +
          targets + kTrunk + more,
      "test.yaml");
}

TEST(PbxPeersConfig, EachTargetIsAPeerNamedByItsHostUnlessNamed) {
  const LoadResult r = loadPbx(
      "    - { host: 192.0.2.20, port: 5080 }\n"
      "    - { host: 192.0.2.21, name: pbx-branch, identity_header: X-Account }\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& peers = r.config->pbx.peers;
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].name, "pbx:192.0.2.20");
  EXPECT_EQ(peers[0].identityHeader, "");
  ASSERT_EQ(peers[0].sources.size(), 1u);
  EXPECT_EQ(peers[0].sources[0].text, "192.0.2.20/32");
  EXPECT_EQ(peers[1].name, "pbx-branch");
  EXPECT_EQ(peers[1].identityHeader, "X-Account");
  EXPECT_EQ(peers[1].sources[0].text, "192.0.2.21/32");
}

TEST(PbxPeersConfig, SourcesReplaceTheHostAddress) {
  const LoadResult r = loadPbx(
      "    - host: pbx.example.com\n"
      "      identity_header: P-Asserted-Identity\n"
      "      sources: [ 192.0.2.20, 192.0.2.128/25 ]\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& peer = r.config->pbx.peers.at(0);
  EXPECT_EQ(peer.name, "pbx:pbx.example.com");
  ASSERT_EQ(peer.sources.size(), 2u);
  EXPECT_EQ(peer.sources[1].text, "192.0.2.128/25");
}

TEST(PbxPeersConfig, AHeaderNeedsAddressesToBeBelievedFrom) {
  const LoadResult r = loadPbx("    - { host: pbx.example.com, identity_header: X-Account }\n");
  EXPECT_TRUE(hasError(r, 5, "pbx.targets[0].sources", "needs the addresses"));
}

TEST(PbxPeersConfig, TheFromUserIsNeverAnIdentityHeader) {
  const LoadResult r = loadPbx(
      "    - { host: 192.0.2.20, identity_header: From }\n"
      "    - { host: 192.0.2.21, identity_header: \"X Account\" }\n"
      "    - { host: 192.0.2.22, name: \"two words\" }\n");
  EXPECT_TRUE(hasError(r, 5, "pbx.targets[0].identity_header", "not the extension it vouches"));
  EXPECT_TRUE(hasError(r, 6, "pbx.targets[1].identity_header", "is not a header name"));
  EXPECT_TRUE(hasError(r, 7, "pbx.targets[2].name", "without spaces"));
}

TEST(PbxPeersConfig, ZoneLimits) {
  const LoadResult r = loadPbx("    - { host: 192.0.2.20 }\n",
                               "policy:\n  zone_limits:\n"
                               "    pbx: { max_concurrent: 40, calls_per_minute: 90 }\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& z = r.config->policy.zoneLimits;
  EXPECT_EQ(z[0].maxConcurrent, 40);
  EXPECT_EQ(z[0].callsPerMinute, 90);
  EXPECT_EQ(z[1].maxConcurrent, 0);  // trunk: none unless written
  const LoadResult bad = loadPbx("    - { host: 192.0.2.20 }\n",
                                 "policy:\n  zone_limits:\n    pbx: { max_calls: 4 }\n");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace tg::config
