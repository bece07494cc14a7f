// The alert's webhook body, its HMAC-SHA256 signature (RFC 4231 test case 2) and the RFC 5424
// syslog line with escaped structured data.

#include "app/alerts/alert_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "app/alerts/alert_dispatcher.h"

namespace tg::app::alerts {
namespace {

Alert sample() {
  Alert a;
  a.event = {"auth.lockout", "public",         "192.0.2.7", "account 201 locked: \"x\"]",
             "lock 900s",    1'700'000'000'123};
  a.count = 42;
  a.summary = true;
  a.firstMs = 1'699'999'990'000;
  a.lastMs = 1'700'000'000'123;
  return a;
}

TEST(AlertFormat, JsonCarriesTheEventAndTheCount) {
  const auto j = nlohmann::json::parse(alertJson(sample(), "gw1"));
  EXPECT_EQ(j["kind"], "auth.lockout");
  EXPECT_EQ(j["source"], "192.0.2.7");
  EXPECT_EQ(j["count"], 42);
  EXPECT_EQ(j["time"], 1'700'000'000);
  EXPECT_EQ(j["first"], 1'699'999'990);
  EXPECT_EQ(j["summary"], true);
  EXPECT_EQ(j["host"], "gw1");
}

TEST(AlertFormat, SignatureIsHmacSha256InHex) {
  // RFC 4231 test case 2.
  EXPECT_EQ(signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(AlertFormat, SyslogLineIsRfc5424WithEscapedParams) {
  const std::string line = syslogLine(sample(), "gw 1", 77);
  EXPECT_EQ(line.rfind("<84>1 2023-11-14T22:13:20.123Z gw1 trunkguard 77 auth.lockout "
                       "[alert@32473 rule=\"auth.lockout\" zone=\"public\" source=\"192.0.2.7\" "
                       "action=\"lock 900s\" count=\"42\"] auth.lockout x42: ",
                       0),
            0u)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(AlertRules, PatternsMatchExactlyByPrefixOrAnyBan) {
  const std::vector<std::string> p{"auth.lockout", "fraud.*", "ban"};
  EXPECT_TRUE(matchesAlertRule(p, "auth.lockout", "drop"));
  EXPECT_FALSE(matchesAlertRule(p, "auth.lockouts", "drop"));
  EXPECT_TRUE(matchesAlertRule(p, "fraud.wangiri", "reply 403"));
  EXPECT_TRUE(matchesAlertRule(p, "scanner.user_agent", "ban 600s"));
  EXPECT_FALSE(matchesAlertRule(p, "scanner.user_agent", "drop"));
  EXPECT_FALSE(matchesAlertRule({}, "ban", "ban 600s"));
}

TEST(AlertRules, StarStandsForAnyRunOfCharacters) {
  const std::vector<std::string> p{"policy.*.spend_per_*"};
  EXPECT_TRUE(matchesAlertRule(p, "policy.intl.spend_per_hour", "reply 403"));
  EXPECT_TRUE(matchesAlertRule(p, "policy.a.b.spend_per_day", "reply 403"));
  EXPECT_FALSE(matchesAlertRule(p, "policy.intl.max_concurrent", "reply 403"));
  EXPECT_FALSE(matchesAlertRule(p, "policyx.spend_per_hour", "reply 403"));
  EXPECT_TRUE(matchesAlertRule({"*"}, "anything", "drop"));
}

TEST(AlertRules, DefaultsCoverLimitsFraudAndProviders) {
  const std::vector<std::string> d = config::AlertSettings{}.events;
  EXPECT_TRUE(matchesAlertRule(d, "policy.default.spend_per_hour", "reply 403"));
  EXPECT_TRUE(matchesAlertRule(d, "policy.intl.calls_per_minute", "reply 403"));
  EXPECT_TRUE(matchesAlertRule(d, "fraud.enumeration", "reply 403"));
  EXPECT_TRUE(matchesAlertRule(d, "provider.down", "not routed to while down"));
  EXPECT_TRUE(matchesAlertRule(d, "scanner.user_agent", "ban 600s"));
  EXPECT_FALSE(matchesAlertRule(d, "policy.intl.denied", "reply 403"));
  EXPECT_FALSE(matchesAlertRule(d, "pbx.down", "not routed to while down"));
}

}  // namespace
}  // namespace tg::app::alerts
