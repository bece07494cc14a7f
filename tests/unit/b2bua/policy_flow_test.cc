// The call policy (issue 7) inside the B2BUA, on simulated time with the real engine: a refused
// call is answered with its code and a Reason header and never reaches the far side; an admitted
// one leaves with the call code stripped and the caller ID the policy chose; the policy's
// duration limit and spend caps end live calls on both legs; shadow mode only reports.

#include <algorithm>
#include <mutex>

#include "b2bua_test_util.h"
#include "base/secret_hash.h"
#include "guard/policy/call_policy.h"
#include "guard/security_event.h"

namespace tg::b2bua::testing {
namespace {

// The UK needs a call code, the US and Canada (+1) are allowed, everything else from the PBX is
// refused by the pbx zone's default (deny).
config::PolicySettings baseSettings() {
  config::PolicySettings s = nanpPolicy(/*allowDomestic=*/false);
  for (config::NumberingPlan& plan : s.numbering) plan.emergency = {"911"};
  s.callCodePrefix = "*7";
  s.callCodeLength = 4;
  s.callCodes = {{"201", base::hashSecret("1234")}};
  config::PolicyRule uk;
  uk.name = "uk-needs-code";
  uk.prefixes = {"+44"};
  uk.action = config::PolicyAction::kRequireCode;
  config::PolicyRule domestic;
  domestic.name = "domestic";
  domestic.prefixes = {"+1"};
  domestic.action = config::PolicyAction::kAllow;
  s.rules = {uk, domestic};
  return s;
}

config::PolicyRule* rule(config::PolicySettings& s, std::string_view name) {
  for (config::PolicyRule& r : s.rules) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

class PolicyFlowTest : public B2buaTest {
 protected:
  void TearDown() override {
    stop();  // the B2BUA reports its calls' ends to the engine: it goes first
    B2buaTest::TearDown();
  }

  void startWithPolicy(const config::PolicySettings& s, Options o = {}) {
    std::string error;
    policy_ = guard::policy::CallPolicy::create(s, &error);
    ASSERT_NE(policy_, nullptr) << error;
    start(o, &cdrStore());
    b2b_->setCallPolicy(policy_.get());
    b2b_->setEventSink(&events_);
  }

  static Caller dialling(std::string number, std::string callId = "pol-1@pbx.example.com") {
    Caller a = pbxCaller(std::move(callId));
    a.ruri = "sip:" + number + "@" + kPbxListener;
    a.to = "<" + a.ruri + ">";
    return a;
  }

  // The caller's INVITE refused by the policy: its one final response (nullptr if none).
  const Sent* refused(Caller& a) {
    const size_t m = mark();
    deliver(a.invite(), a.peer);
    EXPECT_TRUE(sentToZone(a.peer.zone == Zone::kPbx ? Zone::kTrunk : Zone::kPbx, m).empty())
        << "a refused call must not reach the other side";
    auto finals = finalsTo(a.peer, m);
    EXPECT_EQ(finals.size(), 1u);
    if (finals.empty()) return nullptr;
    deliver(a.ackNon2xx(finals[0]->toTag()), a.peer);
    return finals[0];
  }

  db::CdrRecord lastCdr() {
    cdrStore().flush();
    auto rows = cdrStore().recent(1);
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? db::CdrRecord{} : rows[0];
  }

  // Both legs got a BYE since `since`; answers them 200.
  void expectByeOnBothLegs(const Established& c, size_t since) {
    const Sent* byeA = lastRequestTo(kPbx, "BYE", since);
    const Sent* byeB = lastRequestTo(kProvA, "BYE", since);
    ASSERT_NE(byeA, nullptr) << "no BYE to the PBX";
    ASSERT_NE(byeB, nullptr) << "no BYE to the provider";
    EXPECT_EQ(byeA->msg->callId(), c.a.callId);
    EXPECT_EQ(byeB->msg->callId(), c.b.invite->callId());
    reply(byeA, kPbx, 200);
    reply(byeB, kProvA, 200);
  }

  std::unique_ptr<guard::policy::CallPolicy> policy_;
  RecordingEvents events_;
};

TEST_F(PolicyFlowTest, RefusedCallGetsTheCodeAndAReasonAndNeverReachesTheTrunk) {
  startWithPolicy(baseSettings());
  Caller a = dialling("011447700900123");
  const Sent* answer = refused(a);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);
  const std::string reason = answer->header(HeaderId::kReason);
  EXPECT_EQ(reason.rfind("SIP;cause=403;text=\"", 0), 0u) << reason;
  EXPECT_EQ(reason.back(), '"') << reason;
  EXPECT_FALSE(answer->toTag().empty());
  EXPECT_EQ(b2b_->stats().policyRejected, 1u);
  EXPECT_EQ(b2b_->stats().callsStarted, 0u);

  ASSERT_EQ(events_.events.size(), 1u);
  const guard::SecurityEvent& e = events_.events[0];
  EXPECT_EQ(e.rule.rfind("policy.", 0), 0u) << e.rule;
  EXPECT_GT(e.rule.size(), std::string("policy.").size());
  EXPECT_EQ(e.action, "reply 403");
  EXPECT_EQ(e.zone, Zone::kPbx);
  EXPECT_EQ(e.source, kPbx.address());

  const db::CdrRecord r = lastCdr();
  EXPECT_EQ(r.disposition, "rejected");
  EXPECT_EQ(r.sipCode, 403);
  EXPECT_EQ(r.dialledE164, "+447700900123");
  EXPECT_FALSE(r.policyRule.empty());
  EXPECT_TRUE(r.endTime);
  expectAllGone();
}

TEST_F(PolicyFlowTest, RejectCodeComesFromThePolicy) {
  config::PolicySettings s = baseSettings();
  s.rejectCode = 603;
  startWithPolicy(s);
  Caller a = dialling("0113312345678");  // France: no rule, the zone's default denies
  const Sent* answer = refused(a);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 603);
  EXPECT_EQ(answer->header(HeaderId::kReason).rfind("SIP;cause=603;", 0), 0u);
  expectAllGone();
}

TEST_F(PolicyFlowTest, CallCodeIsStrippedBeforeTheCallLeaves) {
  startWithPolicy(baseSettings());
  Caller a = dialling("*71234011447700900123");
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(std::string(inv->msg->requestUriText()), "sip:011447700900123@127.0.0.1:5090");
  EXPECT_EQ(uriOf(inv->header(HeaderId::kTo)), "sip:011447700900123@127.0.0.1:5090");
  EXPECT_EQ(inv->bytes.find("1234011"), std::string::npos) << "the code crossed:\n" << inv->bytes;
  EXPECT_EQ(b2b_->activeCalls().at(0).dialled, "011447700900123");

  Established c{a, calleeFor(inv)};
  ASSERT_NE(calleeSends(c.a, c.b, 200, sdp()), nullptr);
  ASSERT_NE(callerAcks(c.a, kProvA), nullptr);
  const size_t m = mark();
  deliver(c.a.request("BYE"), kPbx);
  reply(lastRequestTo(kProvA, "BYE", m), kProvA, 200);
  const db::CdrRecord r = lastCdr();
  EXPECT_EQ(r.disposition, "answered");
  EXPECT_EQ(r.account, "201");
  EXPECT_EQ(r.dialledE164, "+447700900123");
  EXPECT_EQ(r.policyRule, "uk-needs-code");
  EXPECT_EQ(r.toUri.find("1234011"), std::string::npos) << r.toUri;
  EXPECT_NE(r.toUri.find("011447700900123"), std::string::npos) << r.toUri;
  expectAllGone();
}

TEST_F(PolicyFlowTest, WrongCallCodeIsRefusedAndReportedAsSuch) {
  startWithPolicy(baseSettings());
  Caller a = dialling("*79999011447700900123");
  const Sent* answer = refused(a);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);
  ASSERT_EQ(events_.events.size(), 1u);
  EXPECT_NE(events_.events[0].reason.find("wrong call code"), std::string::npos)
      << events_.events[0].reason;
  expectAllGone();
}

TEST_F(PolicyFlowTest, PolicyDurationLimitEndsBothLegsWhileLive) {
  config::PolicySettings s = baseSettings();
  rule(s, "domestic")->maxDuration = std::chrono::seconds(3);
  startWithPolicy(s);
  Established c = establish(dialling("12125550100"));
  const size_t m = mark();
  advance(2900ms);
  EXPECT_TRUE(requestsTo(kPbx, "BYE", m).empty());
  EXPECT_TRUE(requestsTo(kProvA, "BYE", m).empty());
  advance(200ms);
  expectByeOnBothLegs(c, m);
  const db::CdrRecord r = lastCdr();
  EXPECT_EQ(r.disposition, "answered");
  EXPECT_NE(r.endReason.find("duration"), std::string::npos) << r.endReason;
  EXPECT_GE(r.durationMs, 3000);
  EXPECT_LT(r.durationMs, 3200);
  expectAllGone();
}

TEST_F(PolicyFlowTest, TheTighterOfTheGatewayAndPolicyDurationLimitsApplies) {
  config::PolicySettings s = baseSettings();
  rule(s, "domestic")->maxDuration = std::chrono::seconds(5);
  Options o;
  o.maxCallDurationS = 2;
  startWithPolicy(s, o);
  Established c = establish(dialling("12125550100"));
  const size_t m = mark();
  advance(1900ms);
  EXPECT_TRUE(requestsTo(kPbx, "BYE", m).empty());
  advance(200ms);
  expectByeOnBothLegs(c, m);
  EXPECT_NE(lastCdr().endReason.find("maximum call duration"), std::string::npos);
  expectAllGone();
}

TEST_F(PolicyFlowTest, SpendCapEndsALiveCall) {
  config::PolicySettings s = baseSettings();
  // One unit a second, billed per second; the cap is three units an hour.
  s.rates = {config::RateEntry{"1", 60.0, 1, 1}};
  rule(s, "domestic")->spendPerHour = 3.0;
  startWithPolicy(s);
  Established c = establish(dialling("12125550100"));
  const size_t m = mark();
  // The three paid seconds are used: the call ends in the last poll interval before the
  // fourth would start, so it costs the cap and no more.
  advance(3s - B2bua::kCapPollInterval - 10ms);
  EXPECT_TRUE(requestsTo(kPbx, "BYE", m).empty()) << "ended before its paid time ran out";
  advance(B2bua::kCapPollInterval + 20ms);
  expectByeOnBothLegs(c, m);
  EXPECT_EQ(b2b_->stats().policyEnded, 1u);
  const db::CdrRecord r = lastCdr();
  EXPECT_NE(r.endReason.find("spend cap"), std::string::npos) << r.endReason;
  EXPECT_DOUBLE_EQ(r.cost, 3.0);
  expectAllGone();  // and the poll stopped with the last call
}

TEST_F(PolicyFlowTest, CapsOfCallsOnAnotherWorkerArePassedOn) {
  config::PolicySettings s = baseSettings();
  s.rates = {config::RateEntry{"1", 60.0, 1, 1}};
  rule(s, "domestic")->spendPerHour = 2.0;
  startWithPolicy(s);
  std::vector<uint64_t> passedOn;
  b2b_->setForeignCapHandler([&](std::vector<uint64_t> h) { passedOn = std::move(h); });
  // A call of "another worker" on the same engine: this B2BUA does not own its handle.
  guard::policy::CallAttempt other;
  other.zone = Zone::kPbx;
  other.account = "202";
  other.callerId = "202";
  other.dialled = "12125550199";
  other.when = clock_.wallNow();
  other.now = clock_.now();
  const guard::policy::Admission foreign = policy_->admit(other);
  ASSERT_TRUE(foreign.allowed);
  ASSERT_NE(foreign.handle, 0u);
  policy_->answered(foreign.handle, clock_.now());
  Established c = establish(dialling("12125550100"));
  const size_t m = mark();
  advance(5s);
  expectByeOnBothLegs(c, m);
  ASSERT_EQ(passedOn.size(), 1u);
  EXPECT_EQ(passedOn[0], foreign.handle);
  EXPECT_EQ(b2b_->endPolicyCalls(passedOn, "spend cap reached"), 0u);
  policy_->ended(foreign.handle, clock_.now());
  expectAllGone();
}

TEST_F(PolicyFlowTest, ShadowModeLetsTheCallThroughAndReportsIt) {
  config::PolicySettings s = baseSettings();
  s.enforce = false;
  startWithPolicy(s);
  Caller a = dialling("011447700900123");
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(std::string(inv->msg->requestUriText()), "sip:011447700900123@127.0.0.1:5090");
  EXPECT_EQ(b2b_->stats().policyShadow, 1u);
  EXPECT_EQ(b2b_->stats().policyRejected, 0u);
  ASSERT_EQ(events_.events.size(), 1u);
  EXPECT_EQ(events_.events[0].action, "shadow");
  Established c{a, calleeFor(inv)};
  ASSERT_NE(calleeSends(c.a, c.b, 200, sdp()), nullptr);
  ASSERT_NE(callerAcks(c.a, kProvA), nullptr);
  const size_t m = mark();
  deliver(c.a.request("BYE"), kPbx);
  reply(lastRequestTo(kProvA, "BYE", m), kProvA, 200);
  expectAllGone();
}

TEST_F(PolicyFlowTest, DisabledPolicyAdmitsEverything) {
  config::PolicySettings s = baseSettings();
  s.enabled = false;
  startWithPolicy(s);
  Caller a = dialling("011447700900123");
  ASSERT_NE(sendInvite(a), nullptr);
  EXPECT_TRUE(events_.events.empty());
}

TEST_F(PolicyFlowTest, EmergencyCallPassesEveryRule) {
  config::PolicySettings s = baseSettings();
  s.rules.clear();  // the pbx zone's default denies everything else
  startWithPolicy(s);
  Caller a = dialling("911");
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(std::string(inv->msg->requestUriText()), "sip:911@127.0.0.1:5090");
  EXPECT_EQ(b2b_->stats().emergencyCalls, 1u);
  EXPECT_TRUE(events_.events.empty());
}

TEST_F(PolicyFlowTest, SpoofedCallerIdIsRefused) {
  config::PolicySettings s = baseSettings();
  s.ownNumbers = {"+1212555*"};
  s.callerIdAction = config::CallerIdAction::kReject;
  startWithPolicy(s);
  Caller a = dialling("12125550100");
  a.from = "<sip:+442079460000@pbx.example.com>";
  const Sent* answer = refused(a);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);

  Caller ok = dialling("12125550100", "pol-2@pbx.example.com");
  ok.from = "<sip:+12125550123@pbx.example.com>";
  const Sent* inv = sendInvite(ok);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:+12125550123@" + kTrunkListener);
}

TEST_F(PolicyFlowTest, SpoofedCallerIdIsRewrittenWhenThePolicySaysSo) {
  config::PolicySettings s = baseSettings();
  s.ownNumbers = {"+1212555*"};
  s.callerIdAction = config::CallerIdAction::kRewrite;
  s.defaultCallerId = "+12125550000";
  startWithPolicy(s);
  Caller a = dialling("12125550100");
  a.from = "\"Mallory\" <sip:+442079460000@pbx.example.com>";
  a.inviteHeaders = {{"P-Asserted-Identity", "<sip:+442079460000@pbx.example.com>"}};
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:+12125550000@" + kTrunkListener);
  EXPECT_EQ(inv->bytes.find("442079460000"), std::string::npos) << inv->bytes;
  EXPECT_EQ(inv->bytes.find("Mallory"), std::string::npos) << inv->bytes;
}

TEST_F(PolicyFlowTest, InboundCallersOnTheDenyListAreRefused) {
  config::PolicySettings s = baseSettings();
  s.inboundDeny = {"+1555000*"};
  startWithPolicy(s);
  Caller a = providerCaller();  // From +15550001111
  const Sent* answer = refused(a);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);
  ASSERT_EQ(events_.events.size(), 1u);
  EXPECT_EQ(events_.events[0].zone, Zone::kTrunk);
  expectAllGone();
}

// Issue 12 item 2: a PBX call counts as the PBX peer (or the extension the PBX asserts in the
// header its pbx.targets entry names), never as its From user, which the caller chooses per call.
class PbxAccountTest : public PolicyFlowTest {
 protected:
  void SetUp() override {
    PolicyFlowTest::SetUp();
    config::PolicySettings s = baseSettings();
    rule(s, "domestic")->maxConcurrent = 1;
    startWithPolicy(s);
  }

  void assertExtensionsIn(std::string header) {
    auto c = std::make_shared<config::Config>(*config_);
    c->pbx.peers.at(0).identityHeader = std::move(header);
    b2b_->updateConfig(c);
  }

  static Caller from(std::string user, std::string callId, Headers headers = {}) {
    Caller a = dialling("12125550100", std::move(callId));
    a.from = "\"" + user + "\" <sip:" + user + "@pbx.example.com>";
    a.fromTag = "tag-" + a.callId.substr(0, a.callId.find('@'));
    a.inviteHeaders = std::move(headers);
    return a;
  }

  // The accounts of the live calls, sorted (the call table has no order).
  std::vector<std::string> liveAccounts() {
    std::vector<std::string> out;
    for (const auto& c : b2b_->activeCalls()) out.push_back(c.account);
    std::sort(out.begin(), out.end());
    return out;
  }

  void hangUp(Established& c) {
    const size_t m = mark();
    deliver(c.a.request("BYE"), kPbx);
    reply(lastRequestTo(kProvA, "BYE", m), kProvA, 200);
  }
};

TEST_F(PbxAccountTest, ChangingTheFromUserDoesNotEscapeAPerAccountCap) {
  Established first = establish(from("201", "from-1@pbx"));
  EXPECT_EQ(liveAccounts(), std::vector<std::string>{"pbx:127.0.0.1"});
  Caller second = from("202", "from-2@pbx");
  const Sent* answer = refused(second);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);
  ASSERT_FALSE(events_.events.empty());
  EXPECT_EQ(events_.events.back().rule, "policy.domestic.max_concurrent");
  hangUp(first);
  expectAllGone();
}

TEST_F(PbxAccountTest, TheAssertedExtensionIsTheAccount) {
  assertExtensionsIn("X-Account");
  Established first = establish(from("201", "ext-1@pbx", {{"X-Account", "201"}}));
  EXPECT_EQ(liveAccounts(), std::vector<std::string>{"201"});
  // The same extension under another From: its cap holds.
  Caller again = from("999", "ext-2@pbx", {{"X-Account", "201"}});
  const Sent* answer = refused(again);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);
  // Another extension has a cap of its own; the header does not go on to the provider.
  Caller other = from("201", "ext-3@pbx", {{"X-Account", "<sip:202@pbx.example.com>"}});
  const Sent* inv = sendInvite(other);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->bytes.find("X-Account"), std::string::npos) << inv->bytes;
  Established second{other, calleeFor(inv)};
  ASSERT_NE(calleeSends(second.a, second.b, 200, sdp()), nullptr);
  ASSERT_NE(callerAcks(second.a, kProvA), nullptr);
  EXPECT_EQ(liveAccounts(), (std::vector<std::string>{"201", "202"}));
  hangUp(first);
  hangUp(second);
  expectAllGone();
}

TEST_F(PbxAccountTest, WithoutTheHeaderTheCallCountsAsThePeer) {
  assertExtensionsIn("P-Asserted-Identity");
  Established first = establish(from("201", "peer-1@pbx"));
  EXPECT_EQ(liveAccounts(), std::vector<std::string>{"pbx:127.0.0.1"});
  // Twice the header: which one the PBX meant is unknown, so the peer is counted.
  Caller twice = from("202", "peer-2@pbx",
                      {{"P-Asserted-Identity", "<sip:+12125550111@pbx.example.com>"},
                       {"P-Asserted-Identity", "<sip:+12125550112@pbx.example.com>"}});
  const Sent* answer = refused(twice);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);
  hangUp(first);
  expectAllGone();
}

TEST_F(PbxAccountTest, AHeaderFromAnotherAddressIsNotBelieved) {
  assertExtensionsIn("X-Account");
  auto c = std::make_shared<config::Config>(*config_);
  c->pbx.peers.at(0).sources = {*config::Cidr::parse("192.0.2.20")};  // the PBX is elsewhere
  b2b_->updateConfig(c);
  Established first = establish(from("201", "far-1@pbx", {{"X-Account", "201"}}));
  EXPECT_EQ(liveAccounts(), std::vector<std::string>{"pbx:127.0.0.1"});
  Caller second = from("202", "far-2@pbx", {{"X-Account", "202"}});
  const Sent* answer = refused(second);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);
  hangUp(first);
  expectAllGone();
}

// Wrong call codes lock the PBX peer out of call codes whatever From each one carried.
TEST_F(PbxAccountTest, CallCodeLockoutIsNotEscapedByChangingTheFromUser) {
  for (int i = 0; i < 3; ++i) {
    Caller wrong = from(std::to_string(301 + i), "code-" + std::to_string(i) + "@pbx");
    wrong.ruri = "sip:*79999011447700900123@" + kPbxListener;
    wrong.to = "<" + wrong.ruri + ">";
    const Sent* answer = refused(wrong);
    ASSERT_NE(answer, nullptr);
  }
  Caller right = from("399", "code-right@pbx");
  right.ruri = "sip:*71234011447700900123@" + kPbxListener;
  right.to = "<" + right.ruri + ">";
  const Sent* answer = refused(right);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->statusCode(), 403);
  EXPECT_EQ(events_.events.back().rule, "policy.call_code.locked");
  expectAllGone();
}

// Identity headers are the policy's decision, never a peer's: not even an allowlist entry lets
// P-Asserted-Identity, P-Preferred-Identity or Remote-Party-ID cross (with or without a policy).
TEST_F(PolicyFlowTest, IdentityHeadersNeverCrossWhateverTheAllowlistSays) {
  auto c = std::make_shared<config::Config>(*config_);
  c->b2bua.copyHeaders.insert(c->b2bua.copyHeaders.end(),
                              {"P-Asserted-Identity", "P-Preferred-Identity", "Remote-Party-ID"});
  b2b_->updateConfig(c);
  const Headers identity = {{"P-Asserted-Identity", "<sip:+15550009999@evil.example>"},
                            {"P-Preferred-Identity", "<sip:+15550009998@evil.example>"},
                            {"Remote-Party-ID", "<sip:+15550009997@evil.example>;party=calling"}};
  Caller out = pbxCaller();
  out.inviteHeaders = identity;
  const Sent* toTrunk = sendInvite(out);
  Caller in = providerCaller();
  in.inviteHeaders = identity;
  const Sent* toPbx = sendInvite(in, kPbx);
  for (const Sent* inv : {toTrunk, toPbx}) {
    ASSERT_NE(inv, nullptr);
    EXPECT_FALSE(inv->msg->has(HeaderId::kPAssertedIdentity)) << inv->bytes;
    EXPECT_FALSE(inv->msg->has(HeaderId::kPPreferredIdentity)) << inv->bytes;
    EXPECT_FALSE(inv->msg->has(HeaderId::kRemotePartyId)) << inv->bytes;
    EXPECT_EQ(inv->bytes.find("+1555000999"), std::string::npos) << inv->bytes;
  }
}

}  // namespace
}  // namespace tg::b2bua::testing
