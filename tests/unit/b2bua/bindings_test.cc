// The shared table of registered remote phones: refreshes, limits, expiry, bounded pending.

#include "b2bua/bindings.h"

#include <gtest/gtest.h>

#include <string>

#include "../common/test_helpers.h"

namespace tg::b2bua {
namespace {

using namespace std::chrono_literals;

class BindingsTest : public ::testing::Test {
 protected:
  transport::SendTarget from(const std::string& ip, uint16_t port = 5060) {
    transport::SendTarget t;
    t.zone = transport::Zone::kPublic;
    t.address = tg::testing::addr(ip, port);
    return t;
  }
  Bindings::Prepared prepare(Bindings& b, const std::string& callId, const std::string& contact,
                             Binding* out, int max = 1, const std::string& account = "201") {
    return b.prepare(
        account, callId, contact, from("203.0.113.5"), max,
        [this] { return "pbx-call-" + std::to_string(++callIds_); }, out);
  }
  base::ManualClock clock_;
  int callIds_ = 0;
};

TEST_F(BindingsTest, PendingUntilThePbxAcceptsThenActiveUntilExpiry) {
  Bindings b(clock_);
  Binding x;
  ASSERT_EQ(prepare(b, "c1", "sip:201@10.0.0.1", &x), Bindings::Prepared::kOk);
  EXPECT_EQ(x.pbxCseq, 1u);
  EXPECT_FALSE(b.byKey(x.key).has_value()) << "pending";
  b.commit(x.key, 60s);
  ASSERT_TRUE(b.byKey(x.key).has_value());
  EXPECT_TRUE(b.registeredFrom("201", tg::testing::addr("203.0.113.5", 1)));
  EXPECT_FALSE(b.registeredFrom("201", tg::testing::addr("203.0.113.6", 5060)));
  clock_.advance(61s);
  EXPECT_FALSE(b.byKey(x.key).has_value());
  b.expire();
  EXPECT_EQ(b.size(), 0u);
}

TEST_F(BindingsTest, RefreshesKeepTheKeyAndThePbxDialog) {
  Bindings b(clock_);
  Binding first, again, rebooted;
  prepare(b, "c1", "sip:201@10.0.0.1", &first);
  b.commit(first.key, 600s);
  prepare(b, "c1", "sip:201@10.0.0.1", &again);
  EXPECT_EQ(again.key, first.key);
  EXPECT_EQ(again.pbxCallId, first.pbxCallId);
  EXPECT_EQ(again.pbxCseq, 2u);
  // Same contact, new Call-ID (the phone restarted): same binding, a new PBX-side session.
  prepare(b, "c2", "sip:201@10.0.0.1", &rebooted);
  EXPECT_EQ(rebooted.key, first.key);
  EXPECT_NE(rebooted.pbxCallId, first.pbxCallId);
  EXPECT_EQ(rebooted.pbxCseq, 1u);
}

TEST_F(BindingsTest, MaxRegistrationsCountsOtherActiveContacts) {
  Bindings b(clock_);
  Binding one, two;
  prepare(b, "c1", "sip:201@10.0.0.1", &one, 1);
  EXPECT_EQ(prepare(b, "c2", "sip:201@10.0.0.2", &two, 1), Bindings::Prepared::kOk)
      << "the first is still pending: it does not count";
  b.commit(one.key, 600s);
  Binding three;
  EXPECT_EQ(prepare(b, "c3", "sip:201@10.0.0.3", &three, 1), Bindings::Prepared::kTooMany);
  EXPECT_EQ(prepare(b, "c3", "sip:201@10.0.0.3", &three, 2), Bindings::Prepared::kOk);
  EXPECT_EQ(prepare(b, "c9", "sip:202@10.0.0.9", &three, 1, "202"), Bindings::Prepared::kOk)
      << "per account";
}

TEST_F(BindingsTest, PendingBindingsAreBoundedAndAgeOut) {
  Bindings b(clock_, 3, 64s);
  Binding x;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(prepare(b, "c" + std::to_string(i), "sip:201@10.0.0." + std::to_string(i), &x, 0),
              Bindings::Prepared::kOk);
  }
  EXPECT_EQ(prepare(b, "c9", "sip:201@10.0.0.9", &x, 0), Bindings::Prepared::kFull);
  clock_.advance(65s);
  b.expire();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(prepare(b, "c9", "sip:201@10.0.0.9", &x, 0), Bindings::Prepared::kOk);
}

TEST_F(BindingsTest, LatestForPicksTheLastRefreshed) {
  Bindings b(clock_);
  Binding one, two;
  prepare(b, "c1", "sip:201@10.0.0.1", &one, 0);
  b.commit(one.key, 600s);
  clock_.advance(1s);
  prepare(b, "c2", "sip:201@10.0.0.2", &two, 0);
  b.commit(two.key, 600s);
  ASSERT_TRUE(b.latestFor("201").has_value());
  EXPECT_EQ(b.latestFor("201")->key, two.key);
  EXPECT_EQ(b.activeFor("201").size(), 2u);
  b.commit(two.key, 0s);  // unregistered
  EXPECT_EQ(b.latestFor("201")->key, one.key);
  EXPECT_FALSE(b.latestFor("202").has_value());
}

}  // namespace
}  // namespace tg::b2bua
