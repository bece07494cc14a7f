// The fraud detectors on a manual clock: each detector fires on its pattern and stays quiet on
// the normal calling next to it; blocking, teardown and shadow mode.

#include "guard/fraud/fraud_detector.h"

#include <gtest/gtest.h>

#include "guard/fraud/country_code.h"

namespace tg::guard::fraud {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Monday 2026-03-02 00:00 UTC.
const base::SystemTime kMonday = base::SystemTime(std::chrono::sys_days(
    std::chrono::year_month_day(std::chrono::year(2026), std::chrono::March, std::chrono::day(2))));

class FraudDetectorTest : public ::testing::Test {
 protected:
  FraudDetectorTest() { settings_.settle = hours(0); }

  FraudCall call(const std::string& account, const std::string& e164,
                 const std::string& cls = "international") {
    FraudCall c;
    c.id = ++nextId_;
    c.zone = transport::Zone::kPbx;
    c.account = account;
    c.e164 = e164;
    c.destinationClass = cls;
    c.when = kMonday + (now_ - base::TimePoint{});
    c.now = now_;
    return c;
  }
  void advance(base::Duration d) { now_ += d; }

  config::FraudSettings settings_;
  base::TimePoint now_ = base::TimePoint{} + hours(24 * 7 * 10 + 9);  // a Monday, 09:00
  uint64_t nextId_ = 0;
};

TEST(CountryCodeTest, SplitsByTheE164Zones) {
  EXPECT_EQ(countryCodeOf("+12125550100"), "1");
  EXPECT_EQ(countryCodeOf("+74951234567"), "7");
  EXPECT_EQ(countryCodeOf("+442071234567"), "44");
  EXPECT_EQ(countryCodeOf("+37120912345"), "371");
  EXPECT_EQ(countryCodeOf("+8816123456"), "881");
  EXPECT_EQ(countryCodeOf("98"), "98");
  EXPECT_EQ(countryCodeOf(""), "");
}

TEST_F(FraudDetectorTest, DomesticCallsAreNeverScored) {
  settings_.enumerationNumbers = 2;
  FraudDetector d(settings_);
  for (int i = 0; i < 50; ++i) {
    const Assessment a = d.assess(call("1001", "+1212555" + std::to_string(1000 + i), "national"));
    EXPECT_FALSE(a.block);
    EXPECT_TRUE(a.findings.empty());
  }
}

TEST_F(FraudDetectorTest, EnumerationOfABlockBlocksTheAccountAndEndsItsLiveCalls) {
  FraudDetector d(settings_);
  const FraudCall first = call("1007", "+37120912001");
  Assessment a = d.assess(first);
  EXPECT_FALSE(a.block) << a.explanation();  // a new country alone: 0.5
  advance(seconds(20));
  EXPECT_FALSE(d.assess(call("1007", "+37120912002")).block);
  advance(seconds(20));
  EXPECT_FALSE(d.assess(call("1007", "+37120912003")).block);
  advance(seconds(20));
  a = d.assess(call("1007", "+37120912004"));
  ASSERT_TRUE(a.block) << a.explanation();
  EXPECT_EQ(a.rule(), "fraud.enumeration");
  EXPECT_NE(a.explanation().find("4 numbers of block +37120912xxx"), std::string::npos)
      << a.explanation();
  const std::vector<uint64_t> toEnd = d.takeCallsToEnd();
  EXPECT_EQ(toEnd.size(), 3u);              // the three live calls of the account
  EXPECT_TRUE(d.takeCallsToEnd().empty());  // each once

  // The account stays blocked for risky classes, not for national calls, until block_s.
  advance(minutes(5));
  a = d.assess(call("1007", "+442071234567"));
  EXPECT_TRUE(a.block);
  EXPECT_EQ(a.rule(), "fraud.blocked");
  EXPECT_FALSE(d.assess(call("1007", "+12125550100", "national")).block);
  EXPECT_FALSE(d.assess(call("1008", "+442071234567")).block);  // other accounts go on
  advance(settings_.blockFor);
  EXPECT_FALSE(d.assess(call("1007", "+442071234568")).block);
}

TEST_F(FraudDetectorTest, WangiriCallbackIsRefusedFromTheFirstOne) {
  FraudDetector d(settings_);
  FraudCall in = call("", "+12125550100", "national");
  in.zone = transport::Zone::kTrunk;
  in.callerE164 = "+2332123456";
  in.callerClass = "international";
  d.assess(in);
  advance(seconds(2));
  d.ended(in.id, now_);  // rang 2 s, never answered
  // An answered inbound call from abroad is no bait.
  FraudCall customer = call("", "+12125550100", "national");
  customer.zone = transport::Zone::kTrunk;
  customer.callerE164 = "+442079460000";
  customer.callerClass = "international";
  d.assess(customer);
  d.answered(customer.id, now_ + seconds(3));
  d.ended(customer.id, now_ + seconds(60));

  advance(hours(1));
  const Assessment a = d.assess(call("1003", "+2332123456"));
  ASSERT_TRUE(a.block) << a.explanation();
  EXPECT_EQ(a.rule(), "fraud.wangiri");
  EXPECT_TRUE(d.takeCallsToEnd().empty());
  EXPECT_FALSE(d.assess(call("1003", "+442079460001")).block);  // the account is not blocked
  EXPECT_FALSE(d.assess(call("1004", "+442079460000")).block);  // calling the customer back
  advance(settings_.wangiriMemory + hours(1));
  d.expire(now_);
  EXPECT_FALSE(d.assess(call("1005", "+2332123456")).block);  // forgotten after 72 h
}

TEST_F(FraudDetectorTest, ALongRingIsNoWangiri) {
  FraudDetector d(settings_);
  FraudCall in = call("", "+12125550100", "national");
  in.zone = transport::Zone::kTrunk;
  in.callerE164 = "+2332123456";
  in.callerClass = "international";
  d.assess(in);
  d.ended(in.id, now_ + seconds(25));
  EXPECT_FALSE(d.assess(call("1003", "+2332123456")).block);
}

TEST_F(FraudDetectorTest, ShortCallBurstAndNewCountryTogetherBlock) {
  settings_.settle = hours(24);  // +370 stays new all along
  FraudDetector d(settings_);
  for (int i = 0; i < 4; ++i) {
    const FraudCall c = call("1009", "+3706112" + std::to_string(100 + i * 37));
    EXPECT_FALSE(d.assess(c).block);
    d.ended(c.id, now_ + seconds(5));  // unanswered
    advance(minutes(6));               // never 4 numbers within enumeration_window_s (15 min)
  }
  const Assessment a = d.assess(call("1009", "+3706112999"));
  ASSERT_TRUE(a.block) << a.explanation();
  EXPECT_NE(a.explanation().find("short_calls"), std::string::npos) << a.explanation();
}

TEST_F(FraudDetectorTest, ConcurrencyAboveTheAccountsNormal) {
  settings_.newDestination.enabled = false;
  FraudDetector d(settings_);
  // Normal: two calls at once to the UK, answered and long.
  for (int round = 0; round < 3; ++round) {
    const FraudCall a = call("1010", "+4420794600" + std::to_string(10 + round));
    const FraudCall b = call("1010", "+4916012345" + std::to_string(10 + round));
    d.assess(a);
    d.assess(b);
    d.answered(a.id, now_);
    d.answered(b.id, now_);
    advance(minutes(10));
    d.ended(a.id, now_);
    d.ended(b.id, now_);
  }
  std::vector<Assessment> out;
  for (int i = 0; i < 5; ++i)
    out.push_back(d.assess(call("1010", "+4420794" + std::to_string(70000 + i * 1000))));
  EXPECT_TRUE(out[3].findings.empty()) << out[3].explanation();  // 4 at once: within 2 x 2
  ASSERT_EQ(out[4].findings.size(), 1u) << out[4].explanation();
  EXPECT_EQ(out[4].findings[0].detector, "concurrency");
  EXPECT_FALSE(out[4].block);  // 0.6 alone does not block
}

TEST_F(FraudDetectorTest, UnusualHoursNeedAHistoryAndAgreeWithAnotherSign) {
  FraudDetector d(settings_);
  // Four weeks of office-hours calls to the UK and Germany.
  for (int day = 0; day < 28; ++day) {
    for (int i = 0; i < 3; ++i) {
      const FraudCall c = call("1011", i % 2 ? "+442079460000" : "+4930123456");
      d.assess(c);
      d.ended(c.id, now_ + minutes(2));
      advance(minutes(30));
    }
    advance(hours(24) - minutes(90));
  }
  // 03:00 on a night it never called: unusual hours (0.5) + a new country (0.5) = blocked.
  advance(hours(18));
  Assessment a = d.assess(call("1011", "+37120912001"));
  ASSERT_TRUE(a.block) << a.explanation();
  EXPECT_NE(a.explanation().find("unusual_hours"), std::string::npos);
  // The same call at an office hour to a new country is only noted.
  advance(settings_.blockFor + hours(6));
  a = d.assess(call("1012", "+8131234567"));
  EXPECT_FALSE(a.block) << a.explanation();
}

TEST_F(FraudDetectorTest, ShadowModeRecordsWithoutBlocking) {
  settings_.enumeration.enforce = false;
  FraudDetector d(settings_);
  Assessment a;
  for (int i = 0; i < 4; ++i) {
    const FraudCall c = call("1007", "+3712091200" + std::to_string(i));
    a = d.assess(c);
    d.answered(c.id, now_);
    advance(seconds(10));
    d.ended(c.id, now_);  // one at a time: no concurrency sign
  }
  EXPECT_FALSE(a.block);
  EXPECT_TRUE(a.shadowBlock) << a.explanation();
  EXPECT_NE(a.explanation().find("(shadow)"), std::string::npos);
  EXPECT_TRUE(d.takeCallsToEnd().empty());
  EXPECT_FALSE(d.assess(call("1007", "+442071234567")).block);  // no account block
}

TEST_F(FraudDetectorTest, DisabledDetectsNothing) {
  settings_.enabled = false;
  FraudDetector d(settings_);
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(d.assess(call("1007", "+3712091200" + std::to_string(i))).block);
}

// What restore() is given at start: calls of the past, placed against wall time.
class FraudRestoreTest : public FraudDetectorTest {
 protected:
  base::SystemTime wallNow() const { return kMonday + (now_ - base::TimePoint{}); }
  PastCall past(const std::string& account, const std::string& e164, base::Duration ago,
                base::Duration length) const {
    PastCall p;
    p.account = account;
    p.e164 = e164;
    p.destinationClass = "international";
    p.start = wallNow() - ago;
    p.end = p.start + length;
    return p;
  }
};

TEST_F(FraudRestoreTest, CountriesOfThePastAreKnownAfterARestart) {
  settings_.settle = hours(24);
  FraudDetector fresh(settings_);
  Assessment a = fresh.assess(call("1011", "+442071234567"));
  ASSERT_EQ(a.findings.size(), 1u) << a.explanation();
  EXPECT_EQ(a.findings[0].detector, "new_destination");

  FraudDetector restored(settings_);
  restored.restore(past("1011", "+442079460000", hours(72), minutes(4)), wallNow(), now_);
  restored.restore(past("1012", "+4915112345678", hours(48), minutes(4)), wallNow(), now_);
  restored.restoreDone();
  a = restored.assess(call("1011", "+442071234567"));
  EXPECT_TRUE(a.findings.empty()) << a.explanation();
  // Germany: known to the site (1012), new to 1011: the weaker sign.
  a = restored.assess(call("1011", "+4930123456"));
  ASSERT_EQ(a.findings.size(), 1u) << a.explanation();
  EXPECT_DOUBLE_EQ(a.findings[0].score, 0.2);
}

TEST_F(FraudRestoreTest, CallsOlderThanTheLearningWindowTeachNothing) {
  settings_.settle = hours(24);
  FraudDetector d(settings_);
  d.restore(past("1011", "+442079460000", settings_.learning + hours(1), minutes(4)), wallNow(),
            now_);
  d.restoreDone();
  const Assessment a = d.assess(call("1011", "+442071234567"));
  ASSERT_EQ(a.findings.size(), 1u) << a.explanation();
  EXPECT_EQ(a.findings[0].detector, "new_destination");
}

TEST_F(FraudRestoreTest, ConcurrencyOfThePastIsTheNormalAfterARestart) {
  settings_.newDestination.enabled = false;
  FraudDetector d(settings_);
  // Yesterday: two overlapping calls, then a third that began after both ended; and a call the
  // gateway tore down, which does not count.
  d.restore(past("1010", "+442079460010", hours(24), minutes(10)), wallNow(), now_);
  d.restore(past("1010", "+491601234510", hours(24) - minutes(1), minutes(10)), wallNow(), now_);
  d.restore(past("1010", "+442079460011", hours(23), minutes(10)), wallNow(), now_);
  PastCall tornDown = past("1010", "+442079460012", hours(23) - minutes(1), minutes(10));
  tornDown.endedByGateway = true;
  d.restore(tornDown, wallNow(), now_);
  d.restoreDone();
  std::vector<Assessment> out;
  for (int i = 0; i < 5; ++i)
    out.push_back(d.assess(call("1010", "+4420794" + std::to_string(70000 + i * 1000))));
  EXPECT_TRUE(out[3].findings.empty()) << out[3].explanation();  // 4 at once: within 2 x 2
  ASSERT_EQ(out[4].findings.size(), 1u) << out[4].explanation();
  EXPECT_EQ(out[4].findings[0].detector, "concurrency");
}

TEST_F(FraudRestoreTest, TestCallsOfTheLastMinutesSurviveARestart) {
  FraudDetector d(settings_);
  for (int i = 1; i <= 3; ++i) {
    d.restore(past("1007", "+3712091200" + std::to_string(i), minutes(4 - i), seconds(5)),
              wallNow(), now_);
  }
  d.restoreDone();
  const Assessment a = d.assess(call("1007", "+37120912004"));
  ASSERT_TRUE(a.block) << a.explanation();
  EXPECT_EQ(a.rule(), "fraud.enumeration");
}

TEST_F(FraudRestoreTest, OneRingsOfThePastAreWangiriBaitAfterARestart) {
  FraudDetector d(settings_);
  const base::SystemTime rang = wallNow() - hours(2);
  d.restoreRing("+2332123456", "international", rang, rang + seconds(3), wallNow(), now_);
  // Not bait: rang too long, from a national number, too long ago, or not a number at all.
  d.restoreRing("+2332123457", "international", rang, rang + seconds(40), wallNow(), now_);
  d.restoreRing("+12125550199", "national", rang, rang + seconds(3), wallNow(), now_);
  const base::SystemTime old = wallNow() - settings_.wangiriMemory - hours(1);
  d.restoreRing("+2332123458", "international", old, old + seconds(3), wallNow(), now_);
  d.restoreRing("", "unknown", rang, rang + seconds(3), wallNow(), now_);
  d.restoreDone();
  const Assessment a = d.assess(call("1003", "+2332123456"));
  ASSERT_TRUE(a.block) << a.explanation();
  EXPECT_EQ(a.rule(), "fraud.wangiri");
  EXPECT_FALSE(d.assess(call("1004", "+2332123457")).block);
  EXPECT_FALSE(d.assess(call("1004", "+12125550199")).block);
  EXPECT_FALSE(d.assess(call("1004", "+2332123458")).block);
  // Remembered from when it rang, not from the restart: forgotten 72 h after the ring.
  advance(settings_.wangiriMemory - hours(1));
  d.expire(now_);
  EXPECT_FALSE(d.assess(call("1005", "+2332123456")).block);
}

}  // namespace
}  // namespace tg::guard::fraud
