#include "guard/policy/call_policy.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/secret_hash.h"
#include "guard/policy/rate_table.h"
#include "policy_test_util.h"
#include "store/memory_store.h"

namespace tg::guard::policy {
namespace {

using namespace std::chrono_literals;
using config::PolicyAction;
using testing::baseSettings;
using testing::make;
using testing::outbound;
using testing::rule;
using testing::utc;

TEST(CallPolicy, FirstMatchingRuleWins) {
  auto s = baseSettings();
  s.rules.push_back(rule("uk-ok", PolicyAction::kAllow));
  s.rules.back().prefixes = {"+44"};
  s.rules.push_back(rule("no-intl", PolicyAction::kDeny, {"international"}));
  s.rules.push_back(rule("domestic", PolicyAction::kAllow, {"national", "toll-free"}));
  auto p = make(s);
  Admission a = p->admit(outbound("201", "011447700900123"));
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.rule, "uk-ok");
  EXPECT_EQ(a.e164, "+447700900123");
  EXPECT_EQ(a.destinationClass, "international");
  EXPECT_NE(a.handle, 0u);
  a = p->admit(outbound("201", "0113312345678"));
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.rule, "no-intl");
  EXPECT_EQ(a.code, 403);
  EXPECT_EQ(a.reason, "Destination Not Allowed");
  EXPECT_EQ(a.handle, 0u);
  a = p->admit(outbound("201", "18765551234"));  // Jamaica dialled like a US number
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.rule, "no-intl");
  a = p->admit(outbound("201", "12125551234"));
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.rule, "domestic");
  a = p->admit(outbound("201", "19005551234"));  // premium: no rule, default deny
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.rule, "default");
}

TEST(CallPolicy, TraceListsEveryRuleConsidered) {
  auto s = baseSettings();
  s.rules.push_back(rule("a", PolicyAction::kDeny, {"premium"}));
  s.rules.push_back(rule("b", PolicyAction::kAllow, {"international"}));
  auto p = make(s);
  std::vector<RuleTrace> trace;
  p->admit(outbound("201", "011447700900123"), &trace);
  int rules = 0;
  for (const RuleTrace& t : trace) {
    if (t.rule == "rule a") {
      EXPECT_FALSE(t.matched);
      ++rules;
    }
    if (t.rule == "rule b") {
      EXPECT_TRUE(t.matched);
      ++rules;
    }
  }
  EXPECT_EQ(rules, 2);
}

TEST(CallPolicy, EmergencyPassesEveryRule) {
  auto s = baseSettings();
  s.rules.push_back(rule("nothing", PolicyAction::kDeny));
  s.callCodePrefix = "*7";
  s.callCodes = {{"alice", base::hashSecret("1234")}};
  auto p = make(s);
  Admission a = p->admit(outbound("201", "911"));
  EXPECT_TRUE(a.allowed);
  EXPECT_TRUE(a.emergency);
  EXPECT_EQ(a.destinationClass, "emergency");
  EXPECT_EQ(a.handle, 0u);                     // never counted, never cut
  a = p->admit(outbound("201", "*70000911"));  // even behind a wrong code
  EXPECT_TRUE(a.emergency);
  EXPECT_EQ(a.forwardUser, "911");
}

config::PolicySettings windowed(const char* tz, const char* hoursFrom, int from, int to) {
  (void)hoursFrom;
  auto s = baseSettings("GB");
  auto r = rule("office", PolicyAction::kAllow);
  config::PolicyTimeWindow w;
  w.days = 0x1f;  // mon-fri
  w.startMinute = from;
  w.endMinute = to;
  w.timeZone = tz;
  r.window = w;
  s.rules.push_back(r);
  return s;
}

TEST(CallPolicy, TimeWindowAcrossMidnight) {
  // Night shift Mon-Fri 22:00-06:00 UTC: Friday 23:00 and Saturday 05:00 (Friday's window)
  // pass; Saturday 23:00 and Monday 05:00 (Sunday's window) do not.
  auto p = make(windowed("UTC", "", 22 * 60, 6 * 60));
  auto at = [&](base::SystemTime t) {
    auto a = outbound("201", "02079460000");
    a.when = t;
    return p->admit(a).allowed;
  };
  EXPECT_TRUE(at(utc(2026, 11, 27, 23, 0)));  // Friday
  EXPECT_TRUE(at(utc(2026, 11, 28, 5, 59)));  // Saturday early: Friday's window
  EXPECT_FALSE(at(utc(2026, 11, 28, 6, 0)));
  EXPECT_FALSE(at(utc(2026, 11, 28, 23, 0)));  // Saturday night
  EXPECT_FALSE(at(utc(2026, 11, 30, 5, 0)));   // Monday early: Sunday's window
  EXPECT_TRUE(at(utc(2026, 11, 30, 22, 30)));  // Monday night
  EXPECT_FALSE(at(utc(2026, 11, 30, 12, 0)));
}

TEST(CallPolicy, TimeWindowFollowsDaylightSavingInANamedZone) {
  // 09:00-17:00 New York. 2026-03-08 is when New York moves to EDT (UTC-4).
  auto p = make(windowed("America/New_York", "", 9 * 60, 17 * 60));
  auto at = [&](base::SystemTime t) {
    auto a = outbound("201", "02079460000");
    a.when = t;
    return p->admit(a).allowed;
  };
  // Friday 6 March (EST, UTC-5): 13:30 UTC is 08:30 local, 14:30 UTC is 09:30.
  EXPECT_FALSE(at(utc(2026, 3, 6, 13, 30)));
  EXPECT_TRUE(at(utc(2026, 3, 6, 14, 30)));
  // Monday 9 March (EDT, UTC-4): 13:30 UTC is already 09:30 local; 21:30 UTC is 17:30.
  EXPECT_TRUE(at(utc(2026, 3, 9, 13, 30)));
  EXPECT_FALSE(at(utc(2026, 3, 9, 21, 30)));
  EXPECT_TRUE(at(utc(2026, 3, 9, 20, 30)));
}

TEST(CallPolicy, HolidaysCloseTheWindow) {
  auto s = windowed("Europe/London", "", 9 * 60, 17 * 60);
  s.holidays = {"2026-12-25"};
  auto p = make(s);
  auto a = outbound("201", "02079460000");
  a.when = utc(2026, 12, 25, 12, 0);  // a Friday
  EXPECT_FALSE(p->admit(a).allowed);
  a.when = utc(2026, 12, 24, 12, 0);
  EXPECT_TRUE(p->admit(a).allowed);
}

TEST(RateTable, BillingIncrements) {
  EXPECT_EQ(billedSeconds(0, 60, 60), 0);
  EXPECT_EQ(billedSeconds(1, 60, 60), 60);
  EXPECT_EQ(billedSeconds(61, 60, 60), 120);
  EXPECT_EQ(billedSeconds(61, 1, 1), 61);
  EXPECT_EQ(billedSeconds(61, 30, 6), 66);
  RateTable t({{"44", 0.10, 60, 60}, {"447", 0.30, 1, 1}});
  EXPECT_DOUBLE_EQ(RateTable::cost(*t.find("442079460000"), 61s), 0.20);
  EXPECT_DOUBLE_EQ(RateTable::cost(*t.find("447700900123"), 90s), 0.45);
  EXPECT_EQ(t.find("33612345678"), nullptr);
}

TEST(CallPolicy, SpendIsCountedLiveAndTheCapEndsCalls) {
  auto s = baseSettings();
  s.rates = {{"44", 1.0, 60, 60}};
  auto r = rule("intl", PolicyAction::kAllow, {"international"});
  r.spendPerHour = 3.0;
  s.rules.push_back(r);
  auto p = make(s);
  const base::TimePoint t0{};
  Admission a = p->admit(outbound("201", "011442079460000", t0));
  Admission b = p->admit(outbound("201", "011442079460001", t0));
  ASSERT_TRUE(a.allowed && b.allowed);
  p->answered(a.handle, t0);
  p->answered(b.handle, t0 + 10s);
  EXPECT_DOUBLE_EQ(p->cost(a.handle, t0 + 1s), 1.0);  // first 60 s billed at once
  EXPECT_DOUBLE_EQ(p->cost(a.handle, t0 + 61s), 2.0);
  EXPECT_TRUE(p->overCap(t0 + 30s, 1s).empty());  // 1 + 1 < 3
  // 2 + 1 = 3 reaches the cap, but both calls still have paid time: b's first minute runs
  // to t0 + 70 s, a's second to t0 + 120 s.
  EXPECT_TRUE(p->overCap(t0 + 61s, 1s).empty());
  EXPECT_TRUE(p->overCap(t0 + 68s, 1s).empty());
  const auto over = p->overCap(t0 + 69500ms, 1s);  // by t0 + 70.5 s: 2 + 2 > 3
  ASSERT_EQ(over.size(), 2u);
  EXPECT_TRUE(p->overCap(t0 + 70s, 1s).empty());  // each handle once
  // A new call in the same scope is refused while the cap holds.
  Admission c = p->admit(outbound("201", "011442079460002", t0 + 62s));
  EXPECT_FALSE(c.allowed);
  EXPECT_EQ(c.rule, "intl.spend_per_hour");
  EXPECT_DOUBLE_EQ(p->ended(a.handle, t0 + 70s), 2.0);
  EXPECT_DOUBLE_EQ(p->ended(b.handle, t0 + 70s), 1.0);
  EXPECT_DOUBLE_EQ(p->ended(b.handle, t0 + 70s), 0.0);  // unknown now: no double count
  // Spent money stays in the rolling hour (counted by the minute, so up to a minute longer),
  // then ages out.
  EXPECT_FALSE(p->admit(outbound("201", "011442079460002", t0 + 30min)).allowed);
  EXPECT_FALSE(p->admit(outbound("201", "011442079460002", t0 + 59min)).allowed);
  EXPECT_TRUE(p->admit(outbound("201", "011442079460002", t0 + 62s + 1h + 1min)).allowed);
}

TEST(CallPolicy, RestoredSpendCountsAgainstTheCapsAfterARestart) {
  auto s = baseSettings();
  auto r = rule("intl", PolicyAction::kAllow, {"international"});
  r.spendPerHour = 3.0;
  s.rules.push_back(r);
  auto p = make(s);
  const base::TimePoint t0 = base::TimePoint{} + 10h;
  // Before the restart, 201 spent 3.00 ending 20 minutes ago; 202 spent 1.00; a rule that is
  // gone and a rule without a cap are not counted.
  EXPECT_TRUE(p->restoreSpend("intl", "201", t0 - 20min, 3.0));
  EXPECT_TRUE(p->restoreSpend("intl", "202", t0 - 20min, 1.0));
  EXPECT_FALSE(p->restoreSpend("no-such-rule", "201", t0 - 20min, 5.0));
  EXPECT_FALSE(p->restoreSpend("intl", "201", t0 - 20min, 0.0));
  const Admission a = p->admit(outbound("201", "011442079460000", t0));
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.rule, "intl.spend_per_hour");
  EXPECT_TRUE(p->admit(outbound("202", "011442079460000", t0)).allowed);
  // The restored spend ages out of the rolling hour like any other.
  EXPECT_TRUE(p->admit(outbound("201", "011442079460000", t0 + 42min)).allowed);
}

TEST(CallPolicy, ConcurrencyAndCallsPerMinute) {
  auto s = baseSettings();
  auto r = rule("national", PolicyAction::kAllow, {"national"});
  r.maxConcurrent = 2;
  r.callsPerMinute = 3;
  s.rules.push_back(r);
  auto p = make(s);
  const base::TimePoint t0{};
  Admission a = p->admit(outbound("201", "2125551001", t0));
  Admission b = p->admit(outbound("201", "2125551002", t0));
  Admission c = p->admit(outbound("201", "2125551003", t0));
  EXPECT_TRUE(a.allowed && b.allowed);
  EXPECT_FALSE(c.allowed);
  EXPECT_EQ(c.rule, "national.max_concurrent");
  EXPECT_TRUE(p->admit(outbound("202", "2125551003", t0)).allowed);  // per account
  p->ended(a.handle, t0 + 1s);
  p->ended(a.handle, t0 + 1s);  // twice: the count never goes below zero
  Admission d = p->admit(outbound("201", "2125551004", t0 + 2s));
  EXPECT_TRUE(d.allowed);  // third call this minute
  p->ended(b.handle, t0 + 3s);
  Admission e = p->admit(outbound("201", "2125551005", t0 + 4s));
  EXPECT_FALSE(e.allowed);
  EXPECT_EQ(e.rule, "national.calls_per_minute");
  EXPECT_TRUE(p->admit(outbound("201", "2125551005", t0 + 61s)).allowed);
}

// policy.zone_limits: every call of the zone together, whatever account it counts as, so no
// identity a PBX asserts can spread calls past them (issue 12 item 2).
TEST(CallPolicy, ZoneCapsHoldAcrossAccounts) {
  auto s = baseSettings();
  auto r = rule("national", PolicyAction::kAllow, {"national"});
  r.maxConcurrent = 5;  // per account: never reached below
  s.rules.push_back(r);
  s.defaultAction[static_cast<size_t>(transport::Zone::kPbx)] = PolicyAction::kAllow;
  s.zoneLimits[static_cast<size_t>(transport::Zone::kPbx)] = {2, 3};
  auto p = make(s);
  const base::TimePoint t0{};
  Admission a = p->admit(outbound("201", "2125551001", t0));
  Admission b = p->admit(outbound("202", "2125551002", t0));
  Admission c = p->admit(outbound("203", "2125551003", t0));
  EXPECT_TRUE(a.allowed && b.allowed);
  EXPECT_FALSE(c.allowed);
  EXPECT_EQ(c.rule, "zone_limits.pbx.max_concurrent");
  EXPECT_EQ(c.reason, "Too Many Concurrent Calls");
  // A call no rule limits (the zone's default allows it) is held by the zone's caps too.
  Admission internal = p->admit(outbound("204", "201", t0));
  EXPECT_FALSE(internal.allowed);
  EXPECT_EQ(internal.rule, "zone_limits.pbx.max_concurrent");
  // The trunk zone has no caps of its own.
  CallAttempt in = outbound("carrier", "2125551009", t0);
  in.zone = transport::Zone::kTrunk;
  EXPECT_TRUE(p->admit(in).allowed);
  // Ending a call frees its zone slot; the per-minute cap counts every admission.
  p->ended(a.handle, t0 + 1s);
  Admission d = p->admit(outbound("205", "2125551004", t0 + 2s));
  EXPECT_TRUE(d.allowed);
  p->ended(b.handle, t0 + 3s);
  Admission e = p->admit(outbound("206", "2125551005", t0 + 4s));
  EXPECT_FALSE(e.allowed);
  EXPECT_EQ(e.rule, "zone_limits.pbx.calls_per_minute");
  // A refused call took nothing: once the minute has passed there is room again.
  p->ended(d.handle, t0 + 5s);
  EXPECT_TRUE(p->admit(outbound("207", "2125551006", t0 + 61s)).allowed);
}

TEST(CallPolicy, RepeatedCallsToOneNumber) {
  auto s = baseSettings();
  auto r = rule("national", PolicyAction::kAllow, {"national"});
  r.repeatCalls = 2;
  r.repeatWindow = 600s;
  s.rules.push_back(r);
  auto p = make(s);
  const base::TimePoint t0{};
  EXPECT_TRUE(p->admit(outbound("201", "2125551001", t0)).allowed);
  EXPECT_TRUE(p->admit(outbound("201", "2125551001", t0 + 1s)).allowed);
  Admission third = p->admit(outbound("201", "12125551001", t0 + 2s));  // same number
  EXPECT_EQ(third.rule, "national.repeat");
  EXPECT_TRUE(p->admit(outbound("201", "2125551002", t0 + 2s)).allowed);
  EXPECT_TRUE(p->admit(outbound("201", "2125551001", t0 + 601s)).allowed);
}

config::PolicySettings withCodes() {
  auto s = baseSettings();
  s.callCodePrefix = "*7";
  s.callCodeLength = 4;
  s.callCodes = {{"alice", base::hashSecret("4821")}};
  s.callCodeMaxFailures = 3;
  s.callCodeFailureWindow = 600s;
  s.callCodeLockout = 1800s;
  s.rules.push_back(rule("intl-code", PolicyAction::kRequireCode, {"international"}));
  s.rules.push_back(rule("national", PolicyAction::kAllow, {"national"}));
  return s;
}

TEST(CallPolicy, CallCodeIsStrippedAndRequired) {
  auto p = make(withCodes());
  Admission a = p->admit(outbound("201", "011447700900123"));
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.reason, "Authorisation Code Required");
  EXPECT_FALSE(a.authFailure);
  a = p->admit(outbound("201", "*74821011447700900123"));
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.forwardUser, "011447700900123");
  EXPECT_EQ(a.account, "alice");
  EXPECT_EQ(a.e164, "+447700900123");
}

TEST(CallPolicy, WrongCodesLockTheAccount) {
  auto p = make(withCodes());
  const base::TimePoint t0{};
  for (int i = 0; i < 3; ++i) {
    Admission a = p->admit(outbound("201", "*70000011447700900123", t0 + std::chrono::seconds(i)));
    EXPECT_FALSE(a.allowed);
    EXPECT_TRUE(a.authFailure);
    EXPECT_EQ(a.rule, "call_code");
  }
  // Locked: the right code is answered exactly like a wrong one.
  Admission locked = p->admit(outbound("201", "*74821011447700900123", t0 + 10s));
  EXPECT_FALSE(locked.allowed);
  EXPECT_TRUE(locked.authFailure);
  EXPECT_EQ(locked.reason, "Invalid Authorisation Code");
  EXPECT_EQ(locked.rule, "call_code.locked");
  EXPECT_TRUE(p->admit(outbound("202", "*74821011447700900123", t0 + 10s)).allowed);
  EXPECT_TRUE(p->admit(outbound("201", "2125551234", t0 + 10s)).allowed);  // no code needed
  EXPECT_TRUE(p->admit(outbound("201", "*74821011447700900123", t0 + 1811s)).allowed);
}

// Wrong codes lock their source as well as their account: extensions a PBX asserts one after
// the other (or a phone's accounts from one address) share the lock of where they come from.
TEST(CallPolicy, WrongCodesLockTheSource) {
  auto p = make(withCodes());
  const base::TimePoint t0{};
  auto from = [&](std::string account, std::string source, std::string dialled,
                  base::TimePoint now) {
    CallAttempt a = outbound(std::move(account), std::move(dialled), now);
    a.source = std::move(source);
    return a;
  };
  for (int i = 0; i < 3; ++i) {
    const std::string ext = std::to_string(301 + i);  // a new account for every try
    Admission a = p->admit(from(ext, "pbx-hq", "*70000011447700900123", t0 + 1s * i));
    EXPECT_EQ(a.rule, "call_code");
  }
  Admission locked = p->admit(from("399", "pbx-hq", "*74821011447700900123", t0 + 10s));
  EXPECT_FALSE(locked.allowed);
  EXPECT_EQ(locked.rule, "call_code.locked");
  // Another source, and the same accounts elsewhere, are not locked.
  EXPECT_TRUE(p->admit(from("301", "pbx-branch", "*74821011447700900123", t0 + 10s)).allowed);
  EXPECT_TRUE(p->admit(from("399", "pbx-hq", "*74821011447700900123", t0 + 1811s)).allowed);
}

TEST(CallPolicy, OutboundCallerIdMustBeOurs) {
  auto s = baseSettings();
  s.defaultAction[0] = PolicyAction::kAllow;
  s.ownNumbers = {"+1212555*"};
  s.callerIdAction = config::CallerIdAction::kReject;
  s.accounts["301"].ownNumbers = {"+13125550199"};
  auto p = make(s);
  auto a = outbound("201", "2125551234");
  a.callerId = "2125550100";  // national form is fine
  EXPECT_TRUE(p->admit(a).allowed);
  a.callerId = "+13125550199";  // 301's number, not 201's
  Admission r = p->admit(a);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.rule, "caller_id");
  a.account = "301";
  EXPECT_TRUE(p->admit(a).allowed);
  a.callerId = "+12125550100";
  a.assertedId = "+447700900123";  // a spoofed PAI is checked too
  EXPECT_FALSE(p->admit(a).allowed);

  s.callerIdAction = config::CallerIdAction::kRewrite;
  s.defaultCallerId = "+12125550100";
  p = make(s);
  a.account = "201";
  a.assertedId.clear();
  a.callerId = "+447700900123";
  r = p->admit(a);
  EXPECT_TRUE(r.allowed);
  ASSERT_TRUE(r.callerIdRewrite.has_value());
  EXPECT_EQ(*r.callerIdRewrite, "+12125550100");
}

TEST(CallPolicy, InboundCallerLists) {
  auto s = baseSettings();
  s.inboundDeny = {"+1900*", "+12125550666"};
  s.rejectAnonymousInbound = true;
  auto p = make(s);
  CallAttempt a;
  a.zone = transport::Zone::kTrunk;
  a.dialled = "+12125550100";
  a.callerId = "+13125551234";
  EXPECT_TRUE(p->admit(a).allowed);  // trunk default: allow
  a.callerId = "12125550666";
  EXPECT_EQ(p->admit(a).rule, "inbound.deny");
  a.callerId = "+19005551234";
  EXPECT_EQ(p->admit(a).rule, "inbound.deny");
  a.callerId = "anonymous";
  a.anonymous = true;
  EXPECT_EQ(p->admit(a).rule, "inbound.anonymous");
  s.rejectAnonymousInbound = false;
  s.inboundAllow = {"+44*"};
  p = make(s);
  a.anonymous = false;
  a.callerId = "+13125551234";
  EXPECT_EQ(p->admit(a).rule, "inbound.allow");
  a.callerId = "+442079460000";
  EXPECT_TRUE(p->admit(a).allowed);
}

TEST(CallPolicy, ShadowModeAdmitsAndReports) {
  auto s = baseSettings();
  s.enforce = false;
  s.rules.push_back(rule("no-intl", PolicyAction::kDeny, {"international"}));
  auto r = rule("national", PolicyAction::kAllow, {"national"});
  r.maxConcurrent = 1;
  s.rules.push_back(r);
  auto p = make(s);
  Admission a = p->admit(outbound("201", "011447700900123"));
  EXPECT_TRUE(a.allowed);
  EXPECT_TRUE(a.shadow);
  EXPECT_EQ(a.rule, "no-intl");
  EXPECT_EQ(a.code, 403);
  EXPECT_NE(a.handle, 0u);
  EXPECT_FALSE(p->admit(outbound("201", "2125551234")).shadow);
  Admission over = p->admit(outbound("201", "2125551235"));
  EXPECT_TRUE(over.allowed);
  EXPECT_TRUE(over.shadow);
  EXPECT_EQ(over.rule, "national.max_concurrent");
}

TEST(CallPolicy, DisabledPassesEverything) {
  auto s = baseSettings();
  s.enabled = false;
  s.rules.push_back(rule("deny", PolicyAction::kDeny));
  auto p = make(s);
  Admission a = p->admit(outbound("201", "*7999901144"));
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.forwardUser, "*7999901144");
}

TEST(CallPolicy, MaxDurationComesFromTheRule) {
  auto s = baseSettings();
  auto r = rule("national", PolicyAction::kAllow, {"national"});
  r.maxDuration = 3600s;
  s.rules.push_back(r);
  auto p = make(s);
  EXPECT_EQ(p->admit(outbound("201", "2125551234")).maxDuration, 3600s);
}

TEST(CallPolicy, UnknownTimeZoneFailsToCompile) {
  auto s = windowed("Mars/Olympus_Mons", "", 0, 60);
  std::string error;
  EXPECT_EQ(CallPolicy::create(s, &error), nullptr);
  EXPECT_NE(error.find("Mars/Olympus_Mons"), std::string::npos);
}

}  // namespace
}  // namespace tg::guard::policy

namespace tg::guard::policy {
namespace {

using config::PolicyAction;
using testing::baseSettings;
using testing::outbound;
using testing::rule;

std::unique_ptr<CallPolicy> onStore(const config::PolicySettings& s, store::Store& shared,
                                    const base::Clock& clock) {
  std::string error;
  auto p = CallPolicy::create(s, &error, &shared, &clock);
  if (!p) throw std::runtime_error(error);
  return p;
}

TEST(CallPolicyOnAStore, LimitsHoldAcrossEveryPolicySharingTheStore) {
  base::ManualClock clock;
  store::MemoryStore shared(clock);
  auto s = baseSettings();
  auto r = rule("national", PolicyAction::kAllow, {"national"});
  r.maxConcurrent = 2;
  r.callsPerMinute = 3;
  s.rules.push_back(r);
  // Two gateways (or workers) with one store: the limits are the scope's, not each one's.
  auto first = onStore(s, shared, clock);
  auto second = onStore(s, shared, clock);
  const Admission a = first->admit(outbound("201", "2125551001", clock.now()));
  const Admission b = second->admit(outbound("201", "2125551002", clock.now()));
  ASSERT_TRUE(a.allowed && b.allowed);
  const Admission c = first->admit(outbound("201", "2125551003", clock.now()));
  EXPECT_FALSE(c.allowed);
  EXPECT_EQ(c.rule, "national.max_concurrent");
  second->ended(b.handle, clock.now());  // the place frees for either
  EXPECT_TRUE(first->admit(outbound("201", "2125551004", clock.now())).allowed);
  first->ended(a.handle, clock.now());
  const Admission rate = second->admit(outbound("201", "2125551005", clock.now()));
  EXPECT_EQ(rate.rule, "national.calls_per_minute");  // 3 admitted this minute, by both
  clock.advance(std::chrono::seconds(60));
  EXPECT_TRUE(second->admit(outbound("201", "2125551005", clock.now())).allowed);
}

TEST(CallPolicyOnAStore, SpendEndedOnOneIsCountedByTheOther) {
  base::ManualClock clock;
  clock.advance(std::chrono::hours(10));
  store::MemoryStore shared(clock);
  auto s = baseSettings();
  s.rates = {{"44", 1.0, 60, 60}};
  auto r = rule("intl", PolicyAction::kAllow, {"international"});
  r.spendPerHour = 2.0;
  s.rules.push_back(r);
  auto first = onStore(s, shared, clock);
  auto second = onStore(s, shared, clock);
  EXPECT_TRUE(second->restoreSpend("intl", "201", clock.now() - std::chrono::minutes(30), 1.0));
  const Admission a = first->admit(outbound("201", "011442079460000", clock.now()));
  ASSERT_TRUE(a.allowed);
  first->answered(a.handle, clock.now());
  clock.advance(std::chrono::seconds(30));
  EXPECT_DOUBLE_EQ(first->ended(a.handle, clock.now()), 1.0);
  const Admission b = second->admit(outbound("201", "011442079460001", clock.now()));
  EXPECT_FALSE(b.allowed);
  EXPECT_EQ(b.rule, "intl.spend_per_hour");
  clock.advance(std::chrono::minutes(31));  // the restored 1.00 left the hour
  EXPECT_TRUE(second->admit(outbound("201", "011442079460001", clock.now())).allowed);
}

TEST(CallPolicyOnAStore, TwoThreadsNeverAdmitPastTheConcurrencyLimit) {
  base::ManualClock clock;
  store::MemoryStore shared(clock);
  auto s = baseSettings();
  auto r = rule("national", PolicyAction::kAllow, {"national"});
  r.maxConcurrent = 5;
  s.rules.push_back(r);
  auto policy = onStore(s, shared, clock);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (policy->admit(outbound("201", "2125551001", clock.now())).allowed) ++admitted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 5);
}

}  // namespace
}  // namespace tg::guard::policy
