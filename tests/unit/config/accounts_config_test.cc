// accounts: and public.auth (accounts_section.cc).

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

using namespace std::chrono_literals;

constexpr const char* kBase = kMinimalConfig;
constexpr int kNextLine = 11;  // the first line after kBase

LoadResult load(const std::string& extra) {
  return loadConfigString(std::string(kBase) + extra, "test.yaml");
}

TEST(AccountsConfig, DefaultsWhenAbsent) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  const AccountSettings& a = r.config->accounts;
  EXPECT_EQ(a.password.minLength, 12);
  EXPECT_EQ(a.lockout.failures, 5);
  EXPECT_TRUE(a.lockout.perSource);
  EXPECT_EQ(a.nonce.lifetime, 300s);
  EXPECT_EQ(a.algorithms, (std::vector<sip::DigestAlgorithm>{sip::DigestAlgorithm::kSha256,
                                                             sip::DigestAlgorithm::kMd5}));
}

TEST(AccountsConfig, ReadsEverySetting) {
  const LoadResult r = load(R"(public:
  listen: [ "udp://127.0.0.1:5090" ]
  auth: { mode: pbx, realm: sip.example.com }
accounts:
  password: { min_length: 14, min_classes: 4, dictionary_check: false, max_age_days: 180,
              warn_days: 7, refuse_expired: true }
  lockout: { failures: 4, window_s: 120, duration_s: 600, factor: 1.5, max_duration_s: 7200,
             per_source: false, account_failures: 40, source_failures: 8, max_tracked: 5000 }
  nonce: { lifetime_s: 60, secret_file: /etc/trunkguard/nonce.key, max_tracked: 2000 }
  algorithms: [ SHA-512-256, sha-256 ]
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const Config& c = *r.config;
  ASSERT_TRUE(c.publicZone.has_value());
  EXPECT_EQ(c.publicZone->auth.mode, PublicAuthMode::kPbx);
  EXPECT_EQ(c.publicZone->auth.realm, "sip.example.com");
  const AccountSettings& a = c.accounts;
  EXPECT_EQ(a.password.minLength, 14);
  EXPECT_EQ(a.password.minClasses, 4);
  EXPECT_FALSE(a.password.dictionaryCheck);
  EXPECT_EQ(a.password.maxAgeDays, 180);
  EXPECT_EQ(a.password.warnDays, 7);
  EXPECT_TRUE(a.password.refuseExpired);
  EXPECT_EQ(a.lockout.failures, 4);
  EXPECT_EQ(a.lockout.window, 120s);
  EXPECT_EQ(a.lockout.duration, 600s);
  EXPECT_DOUBLE_EQ(a.lockout.factor, 1.5);
  EXPECT_EQ(a.lockout.maxDuration, 7200s);
  EXPECT_FALSE(a.lockout.perSource);
  EXPECT_EQ(a.lockout.accountFailures, 40);
  EXPECT_EQ(a.lockout.sourceFailures, 8);
  EXPECT_EQ(a.lockout.maxTracked, 5000u);
  EXPECT_EQ(a.nonce.lifetime, 60s);
  EXPECT_EQ(a.nonce.secretFile, "/etc/trunkguard/nonce.key");
  EXPECT_EQ(a.nonce.maxTracked, 2000u);
  EXPECT_EQ(a.algorithms, (std::vector<sip::DigestAlgorithm>{sip::DigestAlgorithm::kSha512_256,
                                                             sip::DigestAlgorithm::kSha256}));
}

TEST(AccountsConfig, PublicAuthDefaultsToGatewayMode) {
  const LoadResult r = load("public:\n  listen: [ \"udp://127.0.0.1:5090\" ]\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->publicZone->auth.mode, PublicAuthMode::kGateway);
  EXPECT_EQ(r.config->publicZone->auth.realm, "trunkguard");
}

TEST(AccountsConfig, ErrorsNameLineAndKey) {
  const LoadResult r = load(R"(public:
  auth: { mode: proxy, realm: "a\"b" }
accounts:
  password: { min_length: 4 }
  lockout: { duration_s: 600, max_duration_s: 60, fialures: 3 }
  algorithms: [ SHA-256, AKAv1-MD5, SHA-256, MD5-sess ]
  nonce: { secret_file: "" }
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, kNextLine + 1, "public.auth.mode", "unknown value 'proxy'")) << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 1, "public.auth.realm", "not a usable realm")) << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 3, "accounts.password.min_length", "out of range"))
      << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 4, "accounts.lockout.max_duration_s", "shorter than"))
      << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 4, "accounts.lockout", "did you mean 'failures'")) << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 5, "accounts.algorithms[1]", "unknown digest algorithm"))
      << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 5, "accounts.algorithms[2]", "listed twice")) << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 5, "accounts.algorithms[3]", "unknown digest algorithm"))
      << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 6, "accounts.nonce.secret_file", "is empty")) << dump(r);
}

TEST(AccountsConfig, EmptyAlgorithmListAndLowAccountThreshold) {
  const LoadResult r = load(R"(accounts:
  algorithms: []
  lockout: { failures: 10, account_failures: 5 }
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, kNextLine + 1, "accounts.algorithms", "is empty")) << dump(r);
  EXPECT_TRUE(hasError(r, kNextLine + 2, "accounts.lockout.account_failures", "below failures"))
      << dump(r);
}

TEST(AccountsConfig, PerAccountAlgorithmsAndLearning) {
  const LoadResult ok = load(R"(accounts:
  learn_algorithms: false
  per_account:
    "301": { algorithms: [ MD5 ] }
    strict: { algorithms: [ SHA-256 ] }
)");
  ASSERT_TRUE(ok.ok()) << dump(ok);
  const AccountSettings& a = ok.config->accounts;
  EXPECT_FALSE(a.learnAlgorithms);
  EXPECT_EQ(a.algorithmsByAccount.at("301"),
            (std::vector<sip::DigestAlgorithm>{sip::DigestAlgorithm::kMd5}));
  EXPECT_EQ(a.algorithmsByAccount.at("strict"),
            (std::vector<sip::DigestAlgorithm>{sip::DigestAlgorithm::kSha256}));
  EXPECT_TRUE(load("").config->accounts.learnAlgorithms);

  const LoadResult bad = load(R"(accounts:
  per_account:
    "301": { algorithms: [ MD5-sess ], algos: [] }
)");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(hasError(bad, kNextLine + 2, "accounts.per_account.301.algorithms[0]",
                       "unknown digest algorithm"))
      << dump(bad);
  EXPECT_TRUE(hasError(bad, kNextLine + 2, "accounts.per_account.301", "algos")) << dump(bad);
}

TEST(AccountsConfig, RelativeSecretFileIsResolvedAgainstTheConfig) {
  const LoadResult r = loadConfigString(
      std::string(kBase) + "accounts:\n  nonce: { secret_file: nonce.key }\n", "test.yaml");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_NE(r.config->accounts.nonce.secretFile.find("nonce.key"), std::string::npos);
}

}  // namespace
}  // namespace tg::config
