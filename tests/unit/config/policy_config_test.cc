#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/secret_hash.h"
#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

// Ten lines of valid zones; the policy section starts on line 11.
constexpr const char* kZones = kMinimalConfig;

LoadResult load(const std::string& policy) {
  return loadConfigString(std::string(kZones) + policy, "test.yaml");
}

TEST(PolicyConfig, AbsentMeansTheSafeDefaults) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  const PolicySettings& p = r.config->policy;
  EXPECT_TRUE(p.enabled);
  EXPECT_TRUE(p.enforce);
  EXPECT_TRUE(p.defaultRules);
  EXPECT_EQ(p.numbering[0].countryCode, "1");  // the US plan, and a warning that says so
  EXPECT_TRUE(hasWarning(r, "policy: not given: the built-in defaults apply"));
  EXPECT_TRUE(hasWarning(r,
                         "Set policy.numbering.pbx.country and add e.g. policy.rules: "
                         "[{ name: intl, classes: [international], action: allow }]"));
  EXPECT_TRUE(hasWarning(r, "CALLER-ID NOT CHECKED"));
}

TEST(PolicyConfig, DisablingThePolicyIsWarnedAbout) {
  const LoadResult r = load("policy:\n  enabled: false\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_FALSE(r.config->policy.enabled);
  EXPECT_TRUE(hasWarning(r, "test.yaml:11: policy.enabled: false: the toll-fraud policy is OFF"));
}

TEST(PolicyConfig, ShadowModeAndNoDefaultRulesAreWarnedAbout) {
  const LoadResult r = load("policy:\n  enforce: false\n  default_rules: false\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_FALSE(r.config->policy.defaultRules);
  EXPECT_TRUE(hasWarning(r, "policy.enforce: false: shadow mode"));
  EXPECT_TRUE(hasWarning(r, "policy.default_rules: false: no built-in default:* rules"));
}

TEST(PolicyConfig, DefaultLimitsCanBeSet) {
  const LoadResult r = load(
      "policy:\n  default_limits: { max_concurrent: 3, calls_per_minute: 0, spend_per_hour: 5.5 "
      "}\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->policy.defaultLimits.maxConcurrent, 3);
  EXPECT_EQ(r.config->policy.defaultLimits.callsPerMinute, 0);
  EXPECT_DOUBLE_EQ(r.config->policy.defaultLimits.spendPerHour, 5.5);
}

TEST(PolicyConfig, CallerIdIsCheckedOnceOwnNumbersExist) {
  LoadResult r = load("policy:\n  own_numbers: [\"+1212555*\"]\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->policy.callerIdAction, CallerIdAction::kReject);
  EXPECT_FALSE(hasWarning(r, "CALLER-ID NOT CHECKED"));
  r = load("policy:\n  accounts: { \"201\": { own_numbers: [\"+12125550201\"] } }\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->policy.callerIdAction, CallerIdAction::kReject);
  r = load("policy:\n  own_numbers: [\"+1212555*\"]\n  caller_id: { action: \"off\" }\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->policy.callerIdAction, CallerIdAction::kOff);  // an explicit choice
  r = load("policy:\n  rules: []\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->policy.callerIdAction, CallerIdAction::kOff);
  EXPECT_TRUE(hasWarning(r, "CALLER-ID NOT CHECKED: no own numbers are configured"));
}

TEST(PolicyConfig, FullSectionIsRead) {
  const LoadResult r = load(R"(policy:
  enabled: true
  enforce: false
  numbering:
    pbx: { country: UK, area_code: "20", internal_max_length: 3 }
  default_action: { pbx: deny, trunk: allow }
  holidays: ["2026-12-25"]
  groups: { sales: ["201", "3*"] }
  accounts:
    "201": { groups: [intl], own_numbers: ["+442079460001"], caller_id: "+442079460001" }
  own_numbers: ["+44207946*"]
  caller_id: { action: rewrite, default: "+442079460000" }
  inbound: { deny: ["+1900*"], reject_anonymous: true }
  call_codes: { prefix: "*7", length: 4, codes: { alice: "4821" } }
  classes: { "+4470": premium }
  rules:
    - name: office-intl
      zones: [pbx]
      groups: [intl]
      classes: [international]
      days: mon-fri
      hours: "08:00-18:00"
      timezone: Europe/London
      action: require_code
      max_concurrent: 2
      spend_per_day: 50
    - { name: no-premium, classes: [premium, high-risk], action: deny, code: 404 }
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const PolicySettings& p = r.config->policy;
  EXPECT_TRUE(p.enabled);
  EXPECT_FALSE(p.enforce);
  EXPECT_EQ(p.numbering[0].countryCode, "44");
  EXPECT_EQ(p.numbering[0].internationalPrefix, "00");
  EXPECT_EQ(p.numbering[0].areaCode, "20");
  EXPECT_EQ(p.numbering[1].countryCode, "1");  // not given: the US preset
  // Hashed on load: the gateway never holds the code in the clear; the file is warned about.
  ASSERT_EQ(p.callCodes.size(), 1u);
  EXPECT_EQ(p.callCodes[0].user, "alice");
  EXPECT_TRUE(base::secretMatches("4821", p.callCodes[0].hash));
  EXPECT_TRUE(base::isSecretHash(p.callCodes[0].hash));
  EXPECT_TRUE(hasWarning(r, "1 call code(s) written in the clear"));
  EXPECT_EQ(p.callerIdAction, CallerIdAction::kRewrite);
  ASSERT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.rules[0].action, PolicyAction::kRequireCode);
  EXPECT_EQ(p.rules[0].zones, kZonePbx);
  ASSERT_TRUE(p.rules[0].window.has_value());
  EXPECT_EQ(p.rules[0].window->days, 0x1f);
  EXPECT_EQ(p.rules[0].window->startMinute, 8 * 60);
  EXPECT_DOUBLE_EQ(p.rules[0].spendPerDay, 50.0);
  EXPECT_EQ(p.rules[1].code, 404);
  ASSERT_EQ(p.classOverrides.size(), 1u);
  EXPECT_EQ(p.classOverrides[0].prefix, "4470");
}

TEST(PolicyConfig, ErrorsSayWhereAndWhatToWrite) {
  const LoadResult r = load(R"(policy:
  enabled: true
  numbering:
    pbx: { country: Atlantis }
  holidays: ["25.12.2026"]
  rules:
    - name: a
      classes: [premum]
      action: deny
    - name: b
      hours: "8-18"
      timezone: Mars/Base
      action: maybe
    - name: a
      action: allow
      repeat_calls: 3
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(
      hasError(r, 14, "policy.numbering.pbx.country", "no numbering preset for 'Atlantis'"));
  EXPECT_TRUE(hasError(r, 15, "policy.holidays[0]", "write YYYY-MM-DD"));
  EXPECT_TRUE(hasError(r, 18, "policy.rules[0].classes[0]", "unknown destination class 'premum'"));
  EXPECT_TRUE(hasError(r, 21, "policy.rules[1].hours", "\"08:00-18:00\""));
  EXPECT_TRUE(hasError(r, 22, "policy.rules[1].timezone", "unknown time zone 'Mars/Base'"));
  EXPECT_TRUE(hasError(r, 23, "policy.rules[1].action", "use allow, deny or require_code"));
  EXPECT_TRUE(hasError(r, 24, "policy.rules[2].name", "another rule is already called 'a'"));
  EXPECT_TRUE(hasError(r, 24, "policy.rules[2].repeat_window_s", "go together"));
}

TEST(PolicyConfig, CallCodesAreCheckedButNeverEchoed) {
  const LoadResult r = load(R"(policy:
  call_codes:
    prefix: "*7"
    codes: { alice: "4821", bob: "12x4", carol: "4821" }
  rules:
    - { name: intl, classes: [international], action: require_code, code_users: [dave] }
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 14, "policy.call_codes.codes.bob", "exactly 4 digits"));
  EXPECT_TRUE(hasError(r, 14, "policy.call_codes.codes.carol", "same code as user 'alice'"));
  EXPECT_TRUE(
      hasError(r, 16, "policy.rules.intl.code_users", "no call code belongs to user 'dave'"));
  for (const auto& e : r.errors) EXPECT_EQ(e.toString().find("12x4"), std::string::npos);
}

// Issue 12 item 11: a code may be written as the hash `trunkguard hash-code` prints, and then
// the file holds no code at all; a malformed hash is an error that does not echo it.
TEST(PolicyConfig, CallCodesMayBeWrittenAsHashes) {
  const std::string hash = base::hashSecret("4821");
  const LoadResult r =
      load("policy:\n  call_codes:\n    prefix: \"*7\"\n    codes: { alice: \"" + hash + "\" }\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  ASSERT_EQ(r.config->policy.callCodes.size(), 1u);
  EXPECT_EQ(r.config->policy.callCodes[0].user, "alice");
  EXPECT_EQ(r.config->policy.callCodes[0].hash, hash);
  EXPECT_FALSE(hasWarning(r, "in the clear"));

  const std::string cut = hash.substr(0, hash.size() - 4);
  const LoadResult bad =
      load("policy:\n  call_codes:\n    prefix: \"*7\"\n    codes: { bob: \"" + cut + "\" }\n");
  EXPECT_TRUE(hasError(bad, 14, "policy.call_codes.codes.bob", "not a hash"));
  for (const auto& e : bad.errors) EXPECT_EQ(e.toString().find(cut), std::string::npos);
}

TEST(PolicyConfig, CallerIdCheckNeedsOwnNumbers) {
  const LoadResult r = load("policy:\n  caller_id: { action: reject }\n");
  EXPECT_TRUE(hasError(r, 12, "policy.caller_id.action", "add policy.own_numbers"));
}

TEST(PolicyConfig, RateTableFileRelativeToTheConfig) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tg_policy_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "rates.csv") << "prefix,price_per_minute,increments\n"
                                   << "# UK\n44,0.02,60/60\n447,0.10,1/1\n"
                                   << "33,abc,60/60\n";
  std::ofstream(dir / "gw.yaml") << kZones << "policy:\n  rate_table: rates.csv\n";
  LoadResult r = loadConfigFile((dir / "gw.yaml").string());
  EXPECT_TRUE(hasError(r, 12, "policy.rate_table", "rates.csv line 5: 'abc' is not a price"));
  std::ofstream(dir / "rates.csv") << "44,0.02,60/60\n447,0.10,1/1\n";
  r = loadConfigFile((dir / "gw.yaml").string());
  ASSERT_TRUE(r.ok()) << dump(r);
  ASSERT_EQ(r.config->policy.rates.size(), 2u);
  EXPECT_EQ(r.config->policy.rates[1].prefix, "447");
  EXPECT_EQ(r.config->policy.rates[1].firstIncrement, 1);
  std::filesystem::remove(dir / "rates.csv");
  r = loadConfigFile((dir / "gw.yaml").string());
  EXPECT_TRUE(hasError(r, 12, "policy.rate_table", "cannot read"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tg::config
