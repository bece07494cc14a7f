#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

// The dns section starts on line 11, after kMinimalConfig.
LoadResult load(const std::string& dns) {
  return loadConfigString(std::string(kMinimalConfig) + dns, "test.yaml");
}

TEST(DnsConfig, Defaults) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.config->dns.servers.empty());
  EXPECT_TRUE(r.config->dns.naptr);
  EXPECT_FALSE(r.config->trunk.providers[0].target.explicitPort);
}

TEST(DnsConfig, ServersAndSettings) {
  const LoadResult r = load(R"(dns:
  servers: [ "127.0.0.1:5353", "::1", "[::1]:53" ]
  naptr: false
  timeout_ms: 500
  attempts: 3
  negative_ttl_s: 10
  min_ttl_s: 2
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const DnsSettings& d = r.config->dns;
  EXPECT_EQ(d.servers, (std::vector<std::string>{"127.0.0.1:5353", "::1", "[::1]:53"}));
  EXPECT_FALSE(d.naptr);
  EXPECT_EQ(d.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.negativeTtl, std::chrono::seconds(10));
  EXPECT_EQ(d.minTtl, std::chrono::seconds(2));
}

TEST(DnsConfig, BadServerIsAnError) {
  const LoadResult r = load("dns:\n  servers: [ \"dns.example.com\" ]\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].line, 12) << dump(r);
  EXPECT_EQ(r.errors[0].keyPath, "dns.servers[0]") << dump(r);
}

TEST(DnsConfig, ExplicitPortIsRemembered) {
  const LoadResult r = loadConfigString(R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - { name: a, host: sip.carrier.test, port: 5060, transport: udp, allow_plaintext: true,
        allowed_sources: [ 192.0.2.0/24 ] }
)",
                                        "t.yaml");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.config->trunk.providers[0].target.explicitPort);
}

}  // namespace
}  // namespace tg::config
