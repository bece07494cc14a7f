// The admission chain (b2bua/admission/) inside the real B2BUA, on simulated time: each verdict
// a filter can give, a deferred call resumed, timed out or cancelled, shadow mode, disabled
// filters, the fixed order, and what a filter behind the call policy costs a refused call.

#include "b2bua/admission/admission_chain.h"

#include <mutex>
#include <optional>

#include "b2bua_test_util.h"
#include "guard/policy/call_policy.h"
#include "guard/security_event.h"

namespace tg::b2bua::testing {
namespace {

using admission::Action;
using admission::CallContext;
using admission::CallFilter;
using admission::FilterStats;
using admission::Verdict;

class RecordingObserver final : public CallObserver {
 public:
  void onRejected(const CallRecord& call) override { rejected.push_back(call); }
  void onStarted(const CallRecord& call) override { started.push_back(call.uuid); }
  std::vector<CallRecord> rejected;
  std::vector<std::string> started;
};

// A filter that answers what the test tells it, and remembers what it saw.
class ScriptedFilter final : public CallFilter {
 public:
  explicit ScriptedFilter(std::string_view name) : name_(name) {}
  std::string_view name() const override { return name_; }
  config::FilterSwitches switches(const config::Config& /*config*/) const override {
    return switches_;
  }
  Verdict check(CallContext& call) override {
    ++checks;
    lastTicket = call.ticket;
    seenAccount = call.account();
    return verdict;
  }
  void release(CallContext& /*call*/) override { ++releases; }

  std::string_view name_;
  config::FilterSwitches switches_;
  Verdict verdict;
  int checks = 0;
  int releases = 0;
  uint64_t lastTicket = 0;
  std::string seenAccount;
};

class AdmissionChainTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    wire();
  }
  void TearDown() override {
    stop();  // the B2BUA gives back what the policy counts: it goes first
    B2buaTest::TearDown();
  }

  void restart(Options o) {
    start(o);
    wire();
  }
  void wire() {
    auto owned = std::make_unique<ScriptedFilter>("scripted");
    filter_ = owned.get();
    b2b_->admission().append(std::move(owned));
    b2b_->setEventSink(&events_);
    b2b_->addObserver(&observer_);
  }

  const FilterStats& counters(std::string_view name) const {
    const FilterStats* s = b2b_->admissionStats().of(name);
    EXPECT_NE(s, nullptr) << name;
    static const FilterStats kNone;
    return s != nullptr ? *s : kNone;
  }
  // The caller's INVITE, and the final answers it got (none while it is deferred).
  std::vector<const Sent*> invite(Caller& a) {
    const size_t m = mark();
    deliver(a.invite(), a.peer);
    return finalsTo(a.peer, m);
  }

  ScriptedFilter* filter_ = nullptr;
  RecordingEvents events_;
  RecordingObserver observer_;
};

TEST_F(AdmissionChainTest, TheOrderIsFixedInCode) {
  const std::vector<std::string_view> expected = {"phone_auth", "request_checks", "numbers",
                                                  "sips_route", "identity",       "call_policy",
                                                  "fraud",      "scripted"};
  EXPECT_EQ(b2b_->admissionStats().names, expected);
}

TEST_F(AdmissionChainTest, ContinueLetsTheCallThrough) {
  Caller a = pbxCaller();
  EXPECT_TRUE(invite(a).empty());
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 1u);
  EXPECT_EQ(filter_->checks, 1);
  EXPECT_EQ(counters("scripted").passed, 1u);
  EXPECT_EQ(counters("request_checks").passed, 1u);
  EXPECT_EQ(counters("phone_auth").passed, 1u) << "not a phone: no objection";
  EXPECT_EQ(b2b_->callCount(), 1u);
}

TEST_F(AdmissionChainTest, ReplyAnswersWithItsCodeReasonAndHeaders) {
  filter_->verdict = Verdict::reply(488, "Not Here", "scripted.no").with("Warning", "399 x \"y\"");
  Caller a = pbxCaller();
  const auto finals = invite(a);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 488);
  EXPECT_EQ(finals[0]->msg->reasonPhrase(), "Not Here");
  EXPECT_EQ(finals[0]->header(HeaderId::kWarning), "399 x \"y\"");
  EXPECT_TRUE(requestsTo(kProvA, "INVITE").empty());
  EXPECT_EQ(counters("scripted").refused, 1u);
  EXPECT_EQ(filter_->releases, 1);
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  expectAllGone();
}

TEST_F(AdmissionChainTest, ChallengeAnswersWithTheChallenges) {
  filter_->verdict = Verdict::challenge("gw.example", 407, {}, "scripted.auth")
                         .with("Proxy-Authenticate", "Digest realm=\"gw.example\", nonce=\"n1\"");
  Caller a = pbxCaller();
  const auto finals = invite(a);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 407);
  EXPECT_EQ(finals[0]->header(HeaderId::kProxyAuthenticate),
            "Digest realm=\"gw.example\", nonce=\"n1\"");
  EXPECT_EQ(b2b_->stats().phoneChallenges, 1u);
  EXPECT_EQ(counters("scripted").refused, 1u);
}

TEST_F(AdmissionChainTest, DropLeavesTheCallerWithItsTryingAndFreesTheTransaction) {
  filter_->verdict = Verdict::drop("scripted.silence");
  Caller a = pbxCaller();
  const size_t m = mark();
  deliver(a.invite(), a.peer);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{100});
  // A CANCEL gets its 200, the INVITE still nothing.
  deliver(a.cancel(), kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{100, 200}));
  EXPECT_EQ(counters("scripted").refused, 1u);
  expectAllGone();
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{100, 200}));
}

TEST_F(AdmissionChainTest, DeferredCallGoesOnFromTheNextFilterWhenResumed) {
  filter_->verdict = Verdict::defer(2s);
  Caller a = pbxCaller();
  EXPECT_TRUE(invite(a).empty());
  EXPECT_TRUE(requestsTo(kProvA, "INVITE").empty()) << "not before the filter decides";
  EXPECT_EQ(b2b_->admission().parkedCount(), 1u);
  EXPECT_EQ(counters("scripted").deferred, 1u);
  advance(1s);
  EXPECT_TRUE(b2b_->admission().resume(filter_->lastTicket, Verdict::next()));
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 1u);
  EXPECT_EQ(b2b_->admission().parkedCount(), 0u);
  EXPECT_EQ(filter_->checks, 1) << "the chain goes on after it, not through it again";
  EXPECT_EQ(counters("scripted").passed, 1u);
  EXPECT_FALSE(b2b_->admission().resume(filter_->lastTicket, Verdict::next()));
  advance(5s);  // the deadline timer is gone with it
  EXPECT_TRUE(finalsTo(kPbx).empty());
  EXPECT_EQ(b2b_->callCount(), 1u);
}

TEST_F(AdmissionChainTest, DeferredCallCanBeRefusedWhenResumed) {
  filter_->verdict = Verdict::defer(2s);
  Caller a = pbxCaller();
  invite(a);
  const size_t m = mark();
  EXPECT_TRUE(b2b_->admission().resume(filter_->lastTicket,
                                       Verdict::reply(403, "Checked Later", "scripted.late")));
  const auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 403);
  EXPECT_TRUE(requestsTo(kProvA, "INVITE").empty());
  EXPECT_EQ(counters("scripted").refused, 1u);
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  expectAllGone();
}

TEST_F(AdmissionChainTest, DeferredCallPastItsDeadlineIsAnswered504) {
  filter_->verdict = Verdict::defer(2s);
  Caller a = pbxCaller();
  invite(a);
  advance(1900ms);
  EXPECT_TRUE(finalsTo(kPbx).empty());
  advance(200ms);
  const auto finals = finalsTo(kPbx);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), admission::kDeadlineCode);
  EXPECT_EQ(finals[0]->msg->reasonPhrase(), admission::kDeadlineReason);
  EXPECT_EQ(counters("scripted").deferTimeouts, 1u);
  EXPECT_EQ(filter_->releases, 1) << "the filter that deferred it lets go";
  EXPECT_FALSE(b2b_->admission().resume(filter_->lastTicket, Verdict::next()))
      << "a late answer finds nothing";
  EXPECT_TRUE(requestsTo(kProvA, "INVITE").empty());
  deliver(a.ackNon2xx(finals[0]->toTag()), kPbx);
  expectAllGone();
  EXPECT_EQ(b2b_->admission().parkedCount(), 0u);
}

TEST_F(AdmissionChainTest, CancelWhileDeferredAnswers487AndForgetsTheCall) {
  filter_->verdict = Verdict::defer(30s);
  Caller a = pbxCaller();
  invite(a);
  const size_t m = mark();
  deliver(a.cancel(), kPbx);
  EXPECT_EQ(responsesTo(kPbx, 200, m).size(), 1u);
  const auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 2u);  // the CANCEL's 200, the INVITE's 487
  EXPECT_EQ(finals[1]->msg->statusCode(), 487);
  EXPECT_EQ(finals[1]->header(HeaderId::kCSeq), "101 INVITE");
  EXPECT_EQ(b2b_->admission().parkedCount(), 0u);
  EXPECT_EQ(counters("scripted").deferCancelled, 1u);
  EXPECT_EQ(filter_->releases, 1);
  EXPECT_FALSE(b2b_->admission().resume(filter_->lastTicket, Verdict::next()));
  deliver(a.ackNon2xx(finals[1]->toTag()), kPbx);
  expectAllGone();
  EXPECT_TRUE(requestsTo(kProvA, "INVITE").empty());
}

TEST_F(AdmissionChainTest, ShadowModeCountsLogsAndLetsTheRefusalThrough) {
  filter_->switches_.enforce = false;
  filter_->verdict = Verdict::reply(403, "Would Refuse", "scripted.shadow");
  Caller a = pbxCaller();
  EXPECT_TRUE(invite(a).empty());
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 1u);
  EXPECT_EQ(counters("scripted").shadowRefused, 1u);
  EXPECT_EQ(counters("scripted").refused, 0u);
  ASSERT_EQ(events_.events.size(), 1u);
  EXPECT_EQ(events_.events[0].rule, "scripted.shadow");
  EXPECT_EQ(events_.events[0].action, "shadow");
  EXPECT_EQ(events_.events[0].reason, "Would Refuse");
}

TEST_F(AdmissionChainTest, AConfiguredShadowFilterLetsItsRefusalThrough) {
  Options o;
  o.extraYaml = "admission:\n  request_checks: { enforce: false }\n";
  restart(o);
  Caller a = pbxCaller();
  a.inviteHeaders = {{"Require", "foo"}};
  EXPECT_TRUE(invite(a).empty()) << "not 420";
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 1u);
  EXPECT_EQ(counters("request_checks").shadowRefused, 1u);
  ASSERT_EQ(events_.events.size(), 1u);
  EXPECT_EQ(events_.events[0].rule, "request.require");
}

TEST_F(AdmissionChainTest, EnforcedRequestChecksStillRefuse) {
  Caller a = pbxCaller();
  a.inviteHeaders = {{"Require", "foo"}};
  const auto finals = invite(a);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 420);
  EXPECT_EQ(finals[0]->header(HeaderId::kUnsupported), "foo");
  EXPECT_EQ(counters("request_checks").refused, 1u);
  EXPECT_EQ(filter_->checks, 0) << "the chain stops at the first refusal";
}

TEST_F(AdmissionChainTest, ADisabledFilterIsSkipped) {
  filter_->switches_.enabled = false;
  filter_->verdict = Verdict::reply(403, "Never Asked", "scripted.off");
  Caller a = pbxCaller();
  EXPECT_TRUE(invite(a).empty());
  EXPECT_EQ(filter_->checks, 0);
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 1u);
  const FilterStats& s = counters("scripted");
  EXPECT_EQ(s.passed + s.refused + s.shadowRefused, 0u);
}

TEST_F(AdmissionChainTest, AConfiguredDisabledFilterIsSkipped) {
  Options o;
  o.extraYaml = "admission:\n  request_checks: { enabled: false }\n";
  restart(o);
  Caller a = pbxCaller();
  a.inviteHeaders = {{"Require", "foo"}};
  EXPECT_TRUE(invite(a).empty());
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 1u);
  EXPECT_EQ(counters("request_checks").passed, 0u);
}

// A filter behind the call policy that defers: when the call never starts, the policy gets its
// count back and the call, which the policy already decided on, has its one rejected record.
class AdmissionAfterPolicyTest : public AdmissionChainTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    config::PolicySettings s = nanpPolicy(/*allowDomestic=*/true);
    s.rules[0].maxConcurrent = 1;
    std::string error;
    policy_ = guard::policy::CallPolicy::create(s, &error);
    ASSERT_NE(policy_, nullptr) << error;
    b2b_->setCallPolicy(policy_.get());
    wire();
  }
  std::unique_ptr<guard::policy::CallPolicy> policy_;
};

TEST_F(AdmissionAfterPolicyTest, ACancelledCallGivesBackItsPolicyCount) {
  filter_->verdict = Verdict::defer(30s);
  Caller a = pbxCaller("first@pbx.example.com");
  a.ruri = "sip:12125550100@" + kPbxListener;
  invite(a);
  EXPECT_EQ(counters("call_policy").passed, 1u);
  deliver(a.cancel(), kPbx);
  ASSERT_EQ(observer_.rejected.size(), 1u);
  EXPECT_EQ(observer_.rejected[0].disposition, Disposition::kCancelled);
  EXPECT_EQ(observer_.rejected[0].sipCode, 487);
  EXPECT_EQ(b2b_->stats().policyRejected, 0u) << "not the policy's refusal";

  // The concurrency limit of one is free again: the next call is admitted.
  filter_->verdict = Verdict::next();
  Caller b = pbxCaller("second@pbx.example.com");
  b.ruri = a.ruri;
  EXPECT_TRUE(invite(b).empty());
  EXPECT_EQ(requestsTo(kProvA, "INVITE").size(), 1u);
  EXPECT_EQ(observer_.started.size(), 1u);
}

TEST_F(AdmissionAfterPolicyTest, WithoutTheReleaseTheLimitWouldHold) {
  filter_->verdict = Verdict::defer(30s);
  Caller a = pbxCaller("first@pbx.example.com");
  a.ruri = "sip:12125550100@" + kPbxListener;
  invite(a);
  // Still deferred, so still counted: a second call is over the limit.
  filter_->verdict = Verdict::next();
  Caller b = pbxCaller("second@pbx.example.com");
  b.ruri = a.ruri;
  const auto finals = invite(b);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 403);
}

}  // namespace
}  // namespace tg::b2bua::testing
