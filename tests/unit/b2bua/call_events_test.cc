// Call events (b2bua/call_events.h): each call's events reach observers in order, and the CDR
// writer, one observer among them, writes exactly one CDR per call, whatever its end.

#include "b2bua/call_events.h"

#include "b2bua_test_util.h"
#include "guard/policy/call_policy.h"

namespace tg::b2bua::testing {
namespace {

// Lists every event as "<event> <uuid>" (and the disposition of the end).
class RecordingObserver final : public CallObserver {
 public:
  void onPolicyDecision(const CallRecord& c, const guard::policy::Admission& d) override {
    events.push_back("policy " + std::string(d.rejected() ? "refused " : "admitted ") + c.uuid);
  }
  void onRejected(const CallRecord& c) override {
    events.push_back("rejected " + c.uuid + " " + std::string(dispositionName(c.disposition)));
  }
  void onStarted(const CallRecord& c) override { events.push_back("started " + c.uuid); }
  void onRouted(const CallRecord& c) override {
    events.push_back("routed " + c.uuid + " " + c.provider);
  }
  void onAnswered(const CallRecord& c) override { events.push_back("answered " + c.uuid); }
  void onEnding(CallRecord& c) override { events.push_back("ending " + c.uuid); }
  void onEnded(const CallRecord& c) override {
    events.push_back("ended " + c.uuid + " " + std::string(dispositionName(c.disposition)) + " " +
                     std::to_string(c.sipCode));
  }
  std::vector<std::string> events;
};

class CallEventsTest : public B2buaTest {
 protected:
  void TearDown() override {
    stop();  // the B2BUA reports its calls' ends to the engine: it goes first
    B2buaTest::TearDown();
  }
  void startWithObserver(Options o = {}) {
    start(o, &cdrStore());
    b2b_->addObserver(&observer_);
  }
  // The uuid of the one call in progress.
  std::string uuid() {
    auto calls = b2b_->activeCalls();
    EXPECT_EQ(calls.size(), 1u);
    return calls.empty() ? std::string() : calls[0].uuid;
  }
  std::vector<db::CdrRecord> cdrs() {
    cdrStore().flush();
    return cdrStore().recent(10);
  }

  RecordingObserver observer_;
};

TEST_F(CallEventsTest, AnAnsweredCallStartsIsRoutedAnsweredAndEndsOnceWithOneCdr) {
  startWithObserver();
  Established c = establishOutbound();
  const std::string id = uuid();
  deliver(c.a.request("BYE"), kPbx);
  reply(lastRequestTo(kProvA, "BYE"), kProvA, 200);
  EXPECT_EQ(observer_.events, (std::vector<std::string>{
                                  "started " + id, "routed " + id + " carrier-a", "answered " + id,
                                  "ending " + id, "ended " + id + " answered 200"}));
  auto rows = cdrs();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].callUuid, id);
  EXPECT_EQ(rows[0].disposition, "answered");
  EXPECT_EQ(rows[0].endReason, "bye-from-a");
  EXPECT_EQ(b2b_->stats().callsStarted, 1u);
  EXPECT_EQ(b2b_->stats().callsAnswered, 1u);
  EXPECT_EQ(b2b_->stats().callsFailed, 0u);
}

TEST_F(CallEventsTest, AFailedCallIsRoutedOncePerPeerAndEndsWithOneCdr) {
  startWithObserver();
  Caller a = pbxCaller();
  const Sent* first = sendInvite(a, kProvA);
  ASSERT_NE(first, nullptr);
  const std::string id = uuid();
  Callee providerA = calleeFor(first, kProvA);
  size_t m = mark();
  deliver(providerA.respond(503), kProvA);  // failover to carrier-b
  const Sent* second = lastRequestTo(kProvB, "INVITE", m);
  ASSERT_NE(second, nullptr);
  Callee providerB = calleeFor(second, kProvB);
  deliver(providerB.respond(404), kProvB);
  EXPECT_EQ(observer_.events,
            (std::vector<std::string>{"started " + id, "routed " + id + " carrier-a",
                                      "routed " + id + " carrier-b", "ending " + id,
                                      "ended " + id + " failed 404"}));
  auto rows = cdrs();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "failed");
  EXPECT_EQ(rows[0].provider, "carrier-b");
  EXPECT_EQ(b2b_->stats().callsFailed, 1u);
}

// A 603/607/608 is the callee's choice: "declined", not a network failure (issue 21).
TEST_F(CallEventsTest, ADeclinedCallIsRecordedAsDeclinedNotFailed) {
  startWithObserver();
  Caller a = pbxCaller();
  const Sent* first = sendInvite(a, kProvA);
  ASSERT_NE(first, nullptr);
  const std::string id = uuid();
  Callee providerA = calleeFor(first, kProvA);
  deliver(providerA.respond(603), kProvA);  // a 6xx ends the search: no failover
  EXPECT_EQ(observer_.events,
            (std::vector<std::string>{"started " + id, "routed " + id + " carrier-a",
                                      "ending " + id, "ended " + id + " declined 603"}));
  auto rows = cdrs();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "declined");
  EXPECT_EQ(rows[0].sipCode, 603);
}

TEST(Dispositions, DeclinesAreApartFromFailures) {
  EXPECT_EQ(dispositionFor(603, false), Disposition::kDeclined);
  EXPECT_EQ(dispositionFor(607, false), Disposition::kDeclined);
  EXPECT_EQ(dispositionFor(608, false), Disposition::kDeclined);
  EXPECT_EQ(dispositionFor(600, false), Disposition::kBusy);
  EXPECT_EQ(dispositionFor(604, false), Disposition::kFailed);
  EXPECT_EQ(dispositionFor(603, true), Disposition::kCancelled);
  EXPECT_EQ(dispositionName(Disposition::kDeclined), "declined");
}

TEST_F(CallEventsTest, ACancelledCallEndsOnceWithOneCdr) {
  startWithObserver();
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  const std::string id = uuid();
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  deliver(a.cancel(), kPbx);
  deliver(b.respond(487), kProvA);
  EXPECT_EQ(observer_.events,
            (std::vector<std::string>{"started " + id, "routed " + id + " carrier-a",
                                      "ending " + id, "ended " + id + " cancelled 487"}));
  auto rows = cdrs();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "cancelled");
}

TEST_F(CallEventsTest, APolicyRejectedCallIsDecidedAndRejectedWithOneCdrAndNeverStarts) {
  config::PolicySettings s = nanpPolicy(/*allowDomestic=*/true);
  std::string error;
  auto policy = guard::policy::CallPolicy::create(s, &error);
  ASSERT_NE(policy, nullptr) << error;
  startWithObserver();
  b2b_->setCallPolicy(policy.get());

  Caller a = pbxCaller();
  a.ruri = "sip:011447700900123@" + kPbxListener;  // abroad: the pbx zone's default refuses
  a.to = "<" + a.ruri + ">";
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 403);
  ASSERT_EQ(observer_.events.size(), 2u);
  EXPECT_EQ(observer_.events[0].rfind("policy refused ", 0), 0u) << observer_.events[0];
  EXPECT_EQ(observer_.events[1].rfind("rejected ", 0), 0u) << observer_.events[1];
  EXPECT_EQ(observer_.events[1].substr(observer_.events[1].size() - 9), " rejected");
  auto rows = cdrs();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "rejected");
  EXPECT_EQ(rows[0].sipCode, 403);
  EXPECT_EQ(b2b_->stats().policyRejected, 1u);
  EXPECT_EQ(b2b_->stats().callsStarted, 0u);
  stop();  // before the engine goes
}

}  // namespace
}  // namespace tg::b2bua::testing
