// Issue 12 item 1: Privacy hides the caller's identity from the callee; it never exempts the
// identity the call carries from the own-numbers check. An outbound call with Privacy: id
// leaves with the anonymous From, Privacy kept and the checked identity in
// P-Asserted-Identity; a malformed Privacy is answered 400.

#include "../common/test_helpers.h"
#include "b2bua/caller_identity.h"
#include "b2bua_test_util.h"
#include "guard/policy/call_policy.h"

namespace tg::b2bua::testing {
namespace {

config::PolicySettings callerIdPolicy() {
  config::PolicySettings s = nanpPolicy(/*allowDomestic=*/true);
  s.ownNumbers = {"+1212555*"};
  s.callerIdAction = config::CallerIdAction::kReject;
  return s;
}

class CallerPrivacyTest : public B2buaTest {
 protected:
  void TearDown() override {
    stop();
    B2buaTest::TearDown();
  }
  void startWithPolicy(const config::PolicySettings& s = callerIdPolicy()) {
    std::string error;
    policy_ = guard::policy::CallPolicy::create(s, &error);
    ASSERT_NE(policy_, nullptr) << error;
    start(Options{});
    b2b_->setCallPolicy(policy_.get());
  }
  static Caller dialling(std::string from, Headers headers,
                         std::string callId = "priv-1@pbx.example.com") {
    Caller a = pbxCaller(std::move(callId));
    a.ruri = "sip:12125550100@" + kPbxListener;
    a.to = "<" + a.ruri + ">";
    a.from = std::move(from);
    a.inviteHeaders = std::move(headers);
    return a;
  }
  // The one final answer to the caller's INVITE when it never reached the trunk.
  int refusedWith(Caller& a, std::string* reason = nullptr) {
    const size_t m = mark();
    deliver(a.invite(), a.peer);
    EXPECT_TRUE(sentToZone(Zone::kTrunk, m).empty()) << "a refused call must not leave";
    auto finals = finalsTo(a.peer, m);
    if (finals.size() != 1u) return 0;
    if (reason != nullptr) *reason = std::string(finals[0]->msg->reasonPhrase());
    deliver(a.ackNon2xx(finals[0]->toTag()), a.peer);
    return finals[0]->msg->statusCode();
  }

  std::unique_ptr<guard::policy::CallPolicy> policy_;
};

TEST_F(CallerPrivacyTest, PrivacyIdDoesNotExemptASpoofedFromUser) {
  startWithPolicy();
  Caller a = dialling("<sip:+442079460000@pbx.example.com>", {{"Privacy", "id"}});
  EXPECT_EQ(refusedWith(a), 403);
}

TEST_F(CallerPrivacyTest, MalformedPrivacyIsA400NotAnonymity) {
  startWithPolicy();
  Caller a = dialling("<sip:+442079460000@pbx.example.com>", {{"Privacy", "id;bogus"}});
  std::string reason;
  EXPECT_EQ(refusedWith(a, &reason), 400);
  EXPECT_EQ(reason, "Malformed Privacy Header");
}

TEST_F(CallerPrivacyTest, AnonymousCallLeavesWithTheCheckedIdentityAsserted) {
  startWithPolicy();
  Caller a = dialling("\"Alice\" <sip:+12125550123@pbx.example.com>", {{"Privacy", "id"}});
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:anonymous@anonymous.invalid");
  EXPECT_EQ(inv->header(HeaderId::kPrivacy), "id");
  EXPECT_EQ(uriOf(inv->header(HeaderId::kPAssertedIdentity)), "sip:+12125550123@" + kTrunkListener);
  EXPECT_EQ(inv->bytes.find("Alice"), std::string::npos) << inv->bytes;
}

TEST_F(CallerPrivacyTest, AnonymousFromIsJudgedByItsAssertedIdentity) {
  startWithPolicy();
  Caller spoofed = dialling("\"Anonymous\" <sip:anonymous@anonymous.invalid>",
                            {{"P-Asserted-Identity", "<sip:+442079460000@pbx.example.com>"}});
  EXPECT_EQ(refusedWith(spoofed), 403);

  Caller own = dialling("\"Anonymous\" <sip:anonymous@anonymous.invalid>",
                        {{"P-Asserted-Identity", "<sip:+12125550123@pbx.example.com>"}},
                        "priv-2@pbx.example.com");
  const Sent* inv = sendInvite(own);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:anonymous@anonymous.invalid");
  EXPECT_EQ(inv->header(HeaderId::kPrivacy), "id");
  EXPECT_EQ(uriOf(inv->header(HeaderId::kPAssertedIdentity)), "sip:+12125550123@" + kTrunkListener);
}

TEST_F(CallerPrivacyTest, RewrittenIdentityIsTheAssertedOne) {
  config::PolicySettings s = callerIdPolicy();
  s.callerIdAction = config::CallerIdAction::kRewrite;
  s.defaultCallerId = "+12125550000";
  startWithPolicy(s);
  Caller a = dialling("<sip:+442079460000@pbx.example.com>", {{"Privacy", "id;header"}});
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:anonymous@anonymous.invalid");
  EXPECT_EQ(inv->header(HeaderId::kPrivacy), "id;header");
  EXPECT_EQ(uriOf(inv->header(HeaderId::kPAssertedIdentity)), "sip:+12125550000@" + kTrunkListener);
  EXPECT_EQ(inv->bytes.find("442079460000"), std::string::npos) << inv->bytes;
}

TEST_F(CallerPrivacyTest, OrdinaryCallKeepsItsFromAndSendsNoIdentityHeaders) {
  startWithPolicy();
  Caller a = dialling("\"Alice\" <sip:+12125550123@pbx.example.com>", {});
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:+12125550123@" + kTrunkListener);
  EXPECT_FALSE(inv->msg->has(HeaderId::kPrivacy));
  EXPECT_FALSE(inv->msg->has(HeaderId::kPAssertedIdentity));
}

// Without a policy a malformed Privacy is still refused: it is the sender's error.
TEST_F(CallerPrivacyTest, MalformedPrivacyIsRefusedWithoutAPolicyToo) {
  Caller a = dialling("<sip:201@pbx.example.com>", {{"Privacy", "bogus"}});
  EXPECT_EQ(refusedWith(a), 400);
}

std::unique_ptr<sip::Message> inviteFrom(const std::string& from, const std::string& extra) {
  return tg::testing::parse(
      "INVITE sip:12125550100@gw.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
      "From: " +
      from +
      ";tag=f1\r\nTo: <sip:12125550100@gw.example.com>\r\n"
      "Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" +
      extra + "Content-Length: 0\r\n\r\n");
}

TEST(CallerPrivacyOf, ReadsPrivacyAndTheAnonymousFrom) {
  auto plain = inviteFrom("<sip:+12125550123@pbx>", "");
  EXPECT_FALSE(callerPrivacyOf(*plain).hideIdentity);
  auto id = inviteFrom("<sip:+12125550123@pbx>", "Privacy: id\r\n");
  EXPECT_TRUE(callerPrivacyOf(*id).hideIdentity);
  EXPECT_FALSE(callerPrivacyOf(*id).anonymousFrom);
  auto header = inviteFrom("<sip:+12125550123@pbx>", "Privacy: header\r\n");
  EXPECT_FALSE(callerPrivacyOf(*header).hideIdentity);
  auto none = inviteFrom("<sip:+12125550123@pbx>", "Privacy: none\r\n");
  EXPECT_FALSE(callerPrivacyOf(*none).malformed);
  auto bad = inviteFrom("<sip:+12125550123@pbx>", "Privacy: none;id\r\n");
  EXPECT_TRUE(callerPrivacyOf(*bad).malformed);
  auto anonymousHost = inviteFrom("<sip:caller@anonymous.invalid>", "");
  EXPECT_TRUE(callerPrivacyOf(*anonymousHost).anonymousFrom);
  EXPECT_TRUE(callerPrivacyOf(*anonymousHost).hideIdentity);
}

TEST(OutgoingIdentity, TowardThePbxNothingIsHidden) {
  auto id = inviteFrom("\"Bob\" <sip:+15550001111@carrier>", "Privacy: id\r\n");
  const OutgoingIdentity out = outgoingIdentity(*id, "", "", "10.0.0.1", false);
  EXPECT_EQ(out.from, "\"Bob\" <sip:+15550001111@10.0.0.1>");
  EXPECT_TRUE(out.asserted.empty());
  EXPECT_TRUE(out.privacy.empty());
}

TEST(OutgoingIdentity, AnonymousFromWithoutAssertedIdentityAssertsNothing) {
  auto anon = inviteFrom("<sip:anonymous@anonymous.invalid>", "");
  const OutgoingIdentity out = outgoingIdentity(*anon, "", "", "10.0.0.1", true);
  EXPECT_EQ(out.from, "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
  EXPECT_TRUE(out.asserted.empty());
  EXPECT_EQ(out.privacy, "id");
}

}  // namespace
}  // namespace tg::b2bua::testing
