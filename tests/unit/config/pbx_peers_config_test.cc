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

// A rule naming extensions never matches the calls of a target without identity_header (they
// count as its peer name): check-config says so at the rule, and what to set.
TEST(PbxPeersConfig, RulesNamingExtensionsWarnWithoutIdentityHeader) {
  const std::string rules =
      "policy:\n  rules:\n"
      "    - { name: boss, accounts: [ \"201\" ], classes: [international], action: allow }\n"
      "    - { name: peer, accounts: [ \"pbx-*\" ], action: allow }\n"
      "    - { name: trunkside, zones: [trunk], accounts: [ \"201\" ], action: allow }\n"
      "    - { name: team, groups: [sales], action: allow }\n"
      "  groups: { sales: [ \"3*\" ] }\n";
  const LoadResult r = loadPbx(
      "    - { host: 192.0.2.20, name: pbx-hq }\n"
      "    - { host: 192.0.2.21, name: pbx-branch, identity_header: X-Account }\n",
      rules);
  ASSERT_TRUE(r.ok()) << dump(r);
  // Lines: 5-6 targets, 10 trunk's last line, 11 policy:, 12 rules:, 13 the first rule.
  EXPECT_TRUE(hasWarning(r,
                         "test.yaml:13: policy.rules.boss.accounts: names accounts, but calls "
                         "from pbx.targets[0] count as 'pbx-hq'"));
  EXPECT_TRUE(hasWarning(r, "set identity_header on pbx.targets[0]"));
  EXPECT_TRUE(hasWarning(r, "test.yaml:16: policy.rules.team.groups: names groups"));
  for (const std::string& w : r.warnings) {
    EXPECT_EQ(w.find("pbx.targets[1] count"), std::string::npos) << w;  // it asserts them
    EXPECT_EQ(w.find("rules.peer."), std::string::npos) << w;           // names the peer itself
    EXPECT_EQ(w.find("rules.trunkside."), std::string::npos) << w;      // not for PBX calls
  }
  // Every target asserting the extension: nothing to warn about.
  const LoadResult asserted =
      loadPbx("    - { host: 192.0.2.20, name: pbx-hq, identity_header: X-Account }\n", rules);
  ASSERT_TRUE(asserted.ok()) << dump(asserted);
  for (const std::string& w : asserted.warnings) {
    EXPECT_EQ(w.find("identity_header"), std::string::npos) << w;
  }
}

}  // namespace
}  // namespace tg::config
