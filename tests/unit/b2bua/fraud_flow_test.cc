// The fraud detectors (guard/fraud) inside the B2BUA, on simulated time with the real call
// policy: a hijacked extension enumerating an international block is refused 403 on the fourth
// number, its live calls are ended on both legs within the tracker's sweep, and the refusal is
// a security event with the detector's explanation; other accounts and domestic calls go on.

#include <mutex>

#include "b2bua_test_util.h"
#include "guard/fraud/fraud_detector.h"
#include "guard/policy/call_policy.h"
#include "guard/security_event.h"

namespace tg::b2bua::testing {
namespace {

class FraudFlowTest : public B2buaTest {
 protected:
  void TearDown() override {
    stop();  // the B2BUA reports its calls' ends to the engines: it goes first
    B2buaTest::TearDown();
  }

  void startWithDetectors(config::FraudSettings f = {}) {
    config::PolicySettings s = nanpPolicy(/*allowDomestic=*/true);
    config::PolicyRule intl;
    intl.name = "intl";
    intl.classes = {"international"};
    intl.action = config::PolicyAction::kAllow;
    s.rules.push_back(intl);
    std::string error;
    policy_ = guard::policy::CallPolicy::create(s, &error);
    ASSERT_NE(policy_, nullptr) << error;
    fraud_ = std::make_unique<guard::fraud::FraudDetector>(f);
    start({}, &cdrStore());
    b2b_->setCallPolicy(policy_.get());
    b2b_->setFraudDetector(fraud_.get());
    b2b_->setEventSink(&events_);
  }

  static Caller dialling(std::string number, std::string callId) {
    Caller a = pbxCaller(std::move(callId));
    a.ruri = "sip:" + number + "@" + kPbxListener;
    a.to = "<" + a.ruri + ">";
    return a;
  }

  std::unique_ptr<guard::policy::CallPolicy> policy_;
  std::unique_ptr<guard::fraud::FraudDetector> fraud_;
  RecordingEvents events_;
};

TEST_F(FraudFlowTest, EnumerationIsRefusedAndTheAccountsLiveCallsEnd) {
  startWithDetectors();
  std::vector<Established> live;
  for (int i = 1; i <= 3; ++i) {
    live.push_back(establish(dialling("0113712091200" + std::to_string(i),
                                      "irsf-" + std::to_string(i) + "@pbx.example.com")));
    advance(5s);
  }
  const size_t m = mark();
  Caller fourth = dialling("01137120912004", "irsf-4@pbx.example.com");
  deliver(fourth.invite(), fourth.peer);
  EXPECT_TRUE(sentToZone(Zone::kTrunk, m).empty()) << "the fourth number never reaches the trunk";
  auto finals = finalsTo(fourth.peer, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 403);
  EXPECT_EQ(finals[0]->msg->reasonPhrase(), "Fraud Suspected");
  deliver(fourth.ackNon2xx(finals[0]->toTag()), fourth.peer);

  ASSERT_FALSE(events_.events.empty());
  const guard::SecurityEvent& e = events_.events.back();
  EXPECT_EQ(e.rule, "fraud.enumeration");
  EXPECT_NE(e.reason.find("4 numbers of block"), std::string::npos) << e.reason;

  // Within the next sweep, the three live calls of the account are ended on both legs.
  advance(1100ms);
  EXPECT_EQ(requestsTo(kPbx, "BYE", m).size(), 3u);
  EXPECT_EQ(requestsTo(kProvA, "BYE", m).size(), 3u);
  for (const Sent* bye : requestsTo(kPbx, "BYE", m)) reply(bye, kPbx, 200);
  for (const Sent* bye : requestsTo(kProvA, "BYE", m)) reply(bye, kProvA, 200);
  cdrStore().flush();
  size_t fraudEnded = 0;
  for (const db::CdrRecord& r : cdrStore().recent(10)) {
    fraudEnded += r.endReason.find("fraud") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(fraudEnded, 4u);  // three ended live, one refused

  // A domestic call of the same account still goes through.
  establish(dialling("12125550100", "home@pbx.example.com"));
  EXPECT_EQ(requestsTo(kProvA, "INVITE", m).size(), 1u);
}

TEST_F(FraudFlowTest, ShadowModeOnlyReports) {
  config::FraudSettings f;
  f.enumeration.enforce = false;
  f.newDestination.enforce = false;
  startWithDetectors(f);
  for (int i = 1; i <= 4; ++i) {
    establish(dialling("0113712091200" + std::to_string(i),
                       "shadow-" + std::to_string(i) + "@pbx.example.com"));
  }
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 4u);
  bool shadowed = false;
  for (const auto& e : events_.events) shadowed = shadowed || e.action == "shadow";
  EXPECT_TRUE(shadowed);
  advance(1100ms);
  EXPECT_TRUE(requestsTo(kPbx, "BYE").empty());
}

}  // namespace
}  // namespace tg::b2bua::testing
