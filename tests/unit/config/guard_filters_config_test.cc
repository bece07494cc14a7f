// guard.acl, guard.scanner, guard.rate_limit and guard.overload (guard_filters_section.cc).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

// Ten lines; the guard section below starts on line 11.
constexpr const char* kMinimal = kMinimalConfig;

LoadResult load(const std::string& guard) {
  return loadConfigString(std::string(kMinimal) + guard, "test.yaml");
}

TEST(GuardFiltersConfig, DefaultsAreSafeForAPublicGateway) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  const GuardSettings& g = r.config->guard;
  EXPECT_TRUE(g.acl.enabled && g.acl.enforce);
  EXPECT_FALSE(g.acl.countries.has_value());
  EXPECT_TRUE(g.scanner.enabled && g.scanner.enforce && g.scanner.useShippedSignatures);
  EXPECT_EQ(g.scanner.maxDistinctUsers, 8);
  EXPECT_DOUBLE_EQ(g.rateLimit.publicZone.perSource.invite, 5);
  EXPECT_DOUBLE_EQ(g.rateLimit.publicZone.perSource.registration, 10);
  EXPECT_DOUBLE_EQ(g.rateLimit.publicZone.perSource.options, 5);
  EXPECT_DOUBLE_EQ(g.rateLimit.publicZone.perSource.other, 20);
  EXPECT_DOUBLE_EQ(g.rateLimit.pbx.perSource.invite, 0);  // trusted peers only
  EXPECT_DOUBLE_EQ(g.rateLimit.trunk.perSource.invite, 0);
  EXPECT_DOUBLE_EQ(g.rateLimit.trustedPerSource.invite, 0);  // trusted peers: unlimited
  EXPECT_EQ(g.rateLimit.window, std::chrono::milliseconds(1000));
  EXPECT_TRUE(g.overload.enabled);
  EXPECT_EQ(g.overload.retryAfterS, 5u);
}

TEST(GuardFiltersConfig, AclLists) {
  const LoadResult r = load(R"(guard:
  acl:
    enforce: false
    pbx: { allow: [ 127.0.0.0/8 ] }
    trunk: { deny: [ 192.0.2.128/25 ] }
    public:
      allow: [ 0.0.0.0/0 ]
      deny: [ 203.0.113.0/24, "2001:db8:bad::/48" ]
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const AclSettings& acl = r.config->guard.acl;
  EXPECT_TRUE(acl.enabled);
  EXPECT_FALSE(acl.enforce);
  ASSERT_EQ(acl.pbx.allow.size(), 1u);
  EXPECT_EQ(acl.pbx.allow[0].text, "127.0.0.0/8");
  ASSERT_EQ(acl.trunk.deny.size(), 1u);
  ASSERT_EQ(acl.publicZone.deny.size(), 2u);
  EXPECT_EQ(acl.publicZone.deny[1].text, "2001:db8:bad::/48");
  for (const std::string& w : r.warnings) {  // an explicit 0.0.0.0/0 is not a mistake here
    EXPECT_EQ(w.find("any address"), std::string::npos) << w;
  }
}

TEST(GuardFiltersConfig, AclErrorsNameLineAndKey) {
  const LoadResult r = load(R"(guard:
  acl:
    public:
      deny: [ 203.0.113.0/33 ]
      alow: [ 10.0.0.0/8 ]
    enfroce: true
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 14, "guard.acl.public.deny[0]", "203.0.113.0/33"));
  EXPECT_TRUE(hasError(r, 15, "guard.acl.public", "did you mean 'allow'"));
  EXPECT_TRUE(hasError(r, 16, "guard.acl", "did you mean 'enforce'"));
}

class CountryConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tg-guard-config-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  LoadResult loadFile(const std::string& guard) {
    const std::string path = (dir_ / "trunkguard.yaml").string();
    std::ofstream(path) << kMinimal << guard;
    return loadConfigFile(path);
  }
  std::filesystem::path dir_;
};

TEST_F(CountryConfigTest, DatabaseIsResolvedAndCodesNormalized) {
  std::ofstream(dir_ / "GeoLite2-Country.mmdb") << "x";
  const LoadResult r = loadFile(R"(guard:
  acl:
    countries:
      database: GeoLite2-Country.mmdb
      allow: [ de, AT, ch, DE ]
      deny: [ XK ]
      deny_unknown: true
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& c = r.config->guard.acl.countries;
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->database, (dir_ / "GeoLite2-Country.mmdb").string());
  EXPECT_EQ(c->allow, (std::vector<std::string>{"DE", "AT", "CH"}));
  EXPECT_EQ(c->deny, (std::vector<std::string>{"XK"}));
  EXPECT_TRUE(c->denyUnknown);
}

TEST_F(CountryConfigTest, MissingDatabaseIsAClearError) {
  const LoadResult r = loadFile(R"(guard:
  acl:
    countries:
      database: nowhere.mmdb
      deny: [ CN ]
)");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].line, 14);
  EXPECT_EQ(r.errors[0].keyPath, "guard.acl.countries.database");
  EXPECT_NE(r.errors[0].message.find("nowhere.mmdb' does not exist"), std::string::npos) << dump(r);
}

TEST(GuardFiltersConfig, CountryCodesAreValidated) {
  const LoadResult r = load(R"(guard:
  acl:
    countries:
      allow: [ DE, XX, Germany ]
      deny: [ de ]
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 14, "guard.acl.countries.allow[1]", "'XX' is not an ISO 3166-1"));
  EXPECT_TRUE(hasError(r, 14, "guard.acl.countries.allow[2]", "'Germany' is not an ISO"));
  EXPECT_TRUE(hasError(r, 15, "guard.acl.countries.deny", "DE is on both"));
  EXPECT_TRUE(hasError(r, 13, "guard.acl.countries.database", "missing"));
}

TEST(GuardFiltersConfig, Scanner) {
  const LoadResult r = load(R"(guard:
  scanner:
    enforce: false
    user_agents: [ "EvilDialer", "bad-bot" ]
    use_shipped_signatures: false
    window_s: 120
    max_distinct_users: 20
    max_options: 30
    max_failure_ratio: 0.9
    min_responses_for_ratio: 25
    max_sources: 1000
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const ScannerSettings& s = r.config->guard.scanner;
  EXPECT_TRUE(s.enabled);
  EXPECT_FALSE(s.enforce);
  EXPECT_EQ(s.userAgents, (std::vector<std::string>{"EvilDialer", "bad-bot"}));
  EXPECT_FALSE(s.useShippedSignatures);
  EXPECT_EQ(s.window, std::chrono::seconds(120));
  EXPECT_EQ(s.maxDistinctUsers, 20);
  EXPECT_EQ(s.maxOptions, 30);
  EXPECT_DOUBLE_EQ(s.maxFailureRatio, 0.9);
  EXPECT_EQ(s.minResponsesForRatio, 25);
  EXPECT_EQ(s.maxSources, 1000u);
}

TEST(GuardFiltersConfig, ScannerErrors) {
  const LoadResult r = load(R"(guard:
  scanner:
    user_agents: [ "ab" ]
    max_distinct_users: 40
    max_failure_ratio: 1.5
    window_s: "60"
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 13, "guard.scanner.user_agents[0]", "too short"));
  EXPECT_TRUE(hasError(r, 14, "guard.scanner.max_distinct_users", "out of range"));
  EXPECT_TRUE(hasError(r, 15, "guard.scanner.max_failure_ratio", "from 0 to 1"));
  EXPECT_TRUE(hasError(r, 16, "guard.scanner.window_s", "remove the quotes"));
}

TEST(GuardFiltersConfig, RateLimit) {
  const LoadResult r = load(R"(guard:
  rate_limit:
    window_ms: 2000
    public:
      per_source: { invite: 0.5, register: 2, options: 1, other: 10 }
      aggregate: { invite: 50 }
    trunk:
      aggregate: { invite: 300 }
    trusted_per_source: { invite: 100, register: 200, options: 50, other: 400 }
    ban_after_violations: 0
    max_sources: 5000
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const RateLimitSettings& s = r.config->guard.rateLimit;
  EXPECT_EQ(s.window, std::chrono::milliseconds(2000));
  EXPECT_DOUBLE_EQ(s.publicZone.perSource.invite, 0.5);
  EXPECT_DOUBLE_EQ(s.publicZone.perSource.registration, 2);
  EXPECT_DOUBLE_EQ(s.publicZone.perSource.options, 1);
  EXPECT_DOUBLE_EQ(s.publicZone.perSource.other, 10);
  EXPECT_DOUBLE_EQ(s.publicZone.aggregate.invite, 50);
  EXPECT_DOUBLE_EQ(s.publicZone.aggregate.registration, 500);  // unwritten: the default
  EXPECT_DOUBLE_EQ(s.trunk.aggregate.invite, 300);
  EXPECT_DOUBLE_EQ(s.trustedPerSource.registration, 200);
  EXPECT_EQ(s.banAfterViolations, 0);
  EXPECT_EQ(s.maxSources, 5000u);
}

TEST(GuardFiltersConfig, RateLimitErrors) {
  const LoadResult r = load(R"(guard:
  rate_limit:
    public:
      per_source: { invite: -1, regsiter: 5 }
    window_ms: 5
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 14, "guard.rate_limit.public.per_source.invite", "out of range"));
  EXPECT_TRUE(hasError(r, 14, "guard.rate_limit.public.per_source", "did you mean 'register'"));
  EXPECT_TRUE(hasError(r, 15, "guard.rate_limit.window_ms", "out of range"));
}

TEST(GuardFiltersConfig, Overload) {
  const LoadResult r = load(R"(guard:
  overload:
    enabled: false
    cpu_percent: 75.5
    queue_datagrams: 500
    retry_after_s: 30
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const OverloadSettings& o = r.config->guard.overload;
  EXPECT_FALSE(o.enabled);
  EXPECT_DOUBLE_EQ(o.cpuPercent, 75.5);
  EXPECT_EQ(o.queueDatagrams, 500u);
  EXPECT_EQ(o.retryAfterS, 30u);
  const LoadResult bad = load("guard:\n  overload: { cpu_percent: 150, retry_after_s: 0 }\n");
  EXPECT_TRUE(hasError(bad, 12, "guard.overload.cpu_percent", "from 20 to 100"));
  EXPECT_TRUE(hasError(bad, 12, "guard.overload.retry_after_s", "out of range"));
}

}  // namespace
}  // namespace tg::config
