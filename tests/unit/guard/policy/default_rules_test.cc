// The safe defaults of a fresh install: built-in default:* rules after the admin's and caps for
// every allowing rule that sets none (docs/policy.md, "Safe defaults").
#include "guard/policy/default_rules.h"

#include <gtest/gtest.h>

#include "guard/policy/call_policy.h"
#include "policy_test_util.h"

namespace tg::guard::policy {
namespace {

using config::PolicyAction;
using testing::make;
using testing::outbound;
using testing::rule;

// What the loader hands over when there is no `policy:` section: the struct's defaults with
// the US plan the loader fills in.
config::PolicySettings freshInstall() {
  config::PolicySettings s;
  for (auto& n : s.numbering) n = *config::numberingPreset("US");
  return s;
}

TEST(DefaultRules, FreshInstallIsEnabledAndEnforcing) {
  const config::PolicySettings s;
  EXPECT_TRUE(s.enabled);
  EXPECT_TRUE(s.enforce);  // shadow mode is a choice, never the default
  EXPECT_TRUE(s.defaultRules);
  EXPECT_GT(s.defaultLimits.maxConcurrent, 0);
  EXPECT_GT(s.defaultLimits.callsPerMinute, 0);
  EXPECT_GT(s.defaultLimits.spendPerHour, 0);
}

TEST(DefaultRules, PremiumHighRiskAndSatelliteAreRefused) {
  auto p = make(freshInstall());
  for (const char* dialled : {"19005551234", "011979123456", "01153712345", "011870123456789"}) {
    const Admission a = p->admit(outbound("201", dialled));
    EXPECT_FALSE(a.allowed) << dialled;
    EXPECT_EQ(a.rule, config::kDefaultDenyPremium) << dialled;
    EXPECT_EQ(a.code, 403);
    EXPECT_EQ(a.reason, "Premium Destination Not Allowed");
  }
}

TEST(DefaultRules, InternationalNeedsAnAllowRule) {
  auto s = freshInstall();
  auto p = make(s);
  Admission a = p->admit(outbound("201", "011447700900123"));
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.rule, config::kDefaultDenyInternational);
  EXPECT_EQ(a.reason, "International Calls Not Allowed");
  a = p->admit(outbound("201", "18765551234"));  // Jamaica, dialled like a US number
  EXPECT_EQ(a.rule, config::kDefaultDenyInternational);

  s.rules.push_back(rule("intl", PolicyAction::kAllow, {"international"}));
  p = make(s);
  a = p->admit(outbound("201", "011447700900123"));
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.rule, "intl");
  // The admin's allow rule does not open premium: the default deny still follows.
  EXPECT_EQ(p->admit(outbound("201", "011979123456")).rule, config::kDefaultDenyPremium);
}

TEST(DefaultRules, NumbersThePlanDoesNotKnowAreRefused) {
  auto p = make(freshInstall());
  // A German national number read with the US plan: not clearly national, so refused.
  const Admission a = p->admit(outbound("201", "03012345678"));
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.rule, config::kDefaultDenyUnknown);
}

TEST(DefaultRules, DomesticPassesAndEmergencyAlwaysPasses) {
  auto p = make(freshInstall());
  Admission a = p->admit(outbound("201", "12125551234"));
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.rule, config::kDefaultAllowDomestic);
  EXPECT_TRUE(p->admit(outbound("201", "2001")).allowed);  // an extension
  a = p->admit(outbound("201", "911"));
  EXPECT_TRUE(a.allowed);
  EXPECT_TRUE(a.emergency);
}

TEST(DefaultRules, InboundCallsKeepTheTrunkDefault) {
  auto p = make(freshInstall());
  CallAttempt in = outbound("", "011447700900123");
  in.zone = transport::Zone::kTrunk;
  const Admission a = p->admit(in);
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.rule, "default");
}

TEST(DefaultRules, EveryAccountIsCapped) {
  auto s = freshInstall();
  s.defaultLimits = {2, 3, 30};
  auto p = make(s);
  const base::TimePoint t0{};
  Admission a = p->admit(outbound("201", "2125551001", t0));
  Admission b = p->admit(outbound("201", "2125551002", t0));
  ASSERT_TRUE(a.allowed && b.allowed);
  Admission c = p->admit(outbound("201", "2125551003", t0));
  EXPECT_FALSE(c.allowed);
  EXPECT_EQ(c.rule, std::string(config::kDefaultAllowDomestic) + ".max_concurrent");
  EXPECT_TRUE(p->admit(outbound("202", "2125551003", t0)).allowed);  // per account
  p->ended(a.handle, t0);
  p->ended(b.handle, t0);
  Admission d = p->admit(outbound("201", "2125551004", t0));
  EXPECT_TRUE(d.allowed);
  p->ended(d.handle, t0);
  c = p->admit(outbound("201", "2125551005", t0));  // the fourth call this minute
  EXPECT_FALSE(c.allowed);
  EXPECT_EQ(c.rule, std::string(config::kDefaultAllowDomestic) + ".calls_per_minute");
}

TEST(DefaultRules, AWholePbxIsNotCappedLikeOnePerson) {
  // A PBX that asserts no extension is counted as one account: the caps for one person would
  // throttle the whole company (issue 12: zone_limits and the admin's own caps apply instead).
  auto s = freshInstall();
  s.defaultLimits = {2, 3, 30};
  auto p = make(s);
  const base::TimePoint t0{};
  for (int i = 0; i < 10; ++i) {
    CallAttempt a = outbound("pbx:10.0.0.5", "212555100" + std::to_string(i), t0);
    a.wholePbx = true;
    EXPECT_TRUE(p->admit(a).allowed) << "call " << i;
  }
  s.zoneLimits[static_cast<size_t>(transport::Zone::kPbx)].maxConcurrent = 10;
  auto capped = make(s);
  for (int i = 0; i < 11; ++i) {
    CallAttempt a = outbound("pbx:10.0.0.5", "212555100" + std::to_string(i), t0);
    a.wholePbx = true;
    EXPECT_EQ(capped->admit(a).allowed, i < 10) << "call " << i;
  }
}

TEST(DefaultRules, CapsGoToAllowRulesWithoutLimitsOnly) {
  auto s = freshInstall();
  s.rules.push_back(rule("intl", PolicyAction::kAllow, {"international"}));
  auto own = rule("uk", PolicyAction::kAllow);
  own.prefixes = {"+44"};
  own.maxConcurrent = 50;
  s.rules.insert(s.rules.begin(), own);
  s.rules.push_back(rule("no-fr", PolicyAction::kDeny));
  auto shortCalls = rule("short", PolicyAction::kAllow);
  shortCalls.maxDuration = std::chrono::seconds(60);
  s.rules.push_back(shortCalls);
  applyDefaults(s);
  ASSERT_EQ(s.rules.size(), 8u);
  EXPECT_EQ(s.rules[3].maxConcurrent, 0);   // a duration limit is a limit of its own too
  EXPECT_EQ(s.rules[0].maxConcurrent, 50);  // the admin's own limits stand
  EXPECT_EQ(s.rules[0].callsPerMinute, 0);
  EXPECT_EQ(s.rules[1].maxConcurrent, s.defaultLimits.maxConcurrent);
  EXPECT_EQ(s.rules[1].callsPerMinute, s.defaultLimits.callsPerMinute);
  EXPECT_EQ(s.rules[1].spendPerHour, 0);   // no rate table: nothing costs anything
  EXPECT_EQ(s.rules[2].maxConcurrent, 0);  // deny rules have no limits
  EXPECT_EQ(s.rules.back().name, config::kDefaultAllowDomestic);
}

TEST(DefaultRules, SpendCapNeedsARateTable) {
  auto s = freshInstall();
  s.rates.push_back({"1", 0.5, 60, 60});
  applyDefaults(s);
  EXPECT_EQ(s.rules.back().spendPerHour, s.defaultLimits.spendPerHour);
}

TEST(DefaultRules, OffWhenTheAdminSaysSo) {
  auto s = freshInstall();
  s.defaultRules = false;
  auto p = make(s);
  const Admission a = p->admit(outbound("201", "12125551234"));
  EXPECT_FALSE(a.allowed);  // the pbx zone's default_action (deny) decides
  EXPECT_EQ(a.rule, "default");
}

}  // namespace
}  // namespace tg::guard::policy
