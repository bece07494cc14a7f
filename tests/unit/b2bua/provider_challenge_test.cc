// A provider's 401/407 to trunkguard's requests (src/trunk/challenge_retry.h):
// answered with the credentials only trunkguard holds, once per challenge; the
// PBX never sees the challenge.

#include <cstdlib>

#include "b2bua_test_util.h"
#include "sip/auth_header.h"

namespace tg::b2bua::testing {
namespace {

constexpr const char* kSecret = "b2b-provider-secret";

class ProviderChallengeTest : public B2buaTest {
 protected:
  // Provider A (and B) with credentials; the password comes from the
  // environment.
  void SetUp() override {
    ::setenv("TG_B2B_TEST_PROVIDER_SECRET", kSecret, 1);
    std::string yaml = configYaml(Options{});
    const std::string auth =
        ", auth: { username: trunk1, password_env: "
        "TG_B2B_TEST_PROVIDER_SECRET } }";
    for (size_t at = yaml.find("allow_plaintext: true }"); at != std::string::npos;
         at = yaml.find("allow_plaintext: true }", at + 1)) {
      yaml.replace(at + std::string_view("allow_plaintext: true").size(), 2, auth);
    }
    auto loaded = config::loadConfigString(yaml, "b2bua-auth-test.yaml");
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.toString();
    ASSERT_TRUE(loaded.ok());
    stop();
    config_ = loaded.config;
    b2b_ = std::make_unique<B2bua>(
        config_, timers_,
        [this](Zone z, config::TransportKind t) -> const transport::LocalEndpoint* {
          for (const auto& e : endpoints_) {
            if (e.zone == z && e.transport == t) return &e;
          }
          return nullptr;
        },
        nullptr);
    layer_ =
        std::make_unique<transaction::TransactionLayer>(timers_, sender_, *b2b_, config_->timers);
    b2b_->attach(*layer_, sender_);
  }
  void TearDown() override {
    B2buaTest::TearDown();
    ::unsetenv("TG_B2B_TEST_PROVIDER_SECRET");
  }
  static ResponseOptions challenge(const char* header = "WWW-Authenticate") {
    ResponseOptions o;
    o.headers = {{header,
                  "Digest realm=\"carrier\", nonce=\"n-1\", qop=\"auth\", "
                  "algorithm=SHA-256"}};
    return o;
  }
};

TEST_F(ProviderChallengeTest, InviteChallengeIsAnsweredAndTheCallCompletes) {
  Caller a = pbxCaller();
  const Sent* inv1 = sendInvite(a, kProvA);
  ASSERT_NE(inv1, nullptr);
  const size_t m = mark();
  deliver(calleeFor(inv1).respond(401, challenge()), kProvA);
  EXPECT_EQ(requestsTo(kProvA, "ACK", m).size(), 1u);  // the 401 is ACKed
  const Sent* inv2 = lastRequestTo(kProvA, "INVITE", m);
  ASSERT_NE(inv2, nullptr);
  EXPECT_NE(inv2->branch(), inv1->branch());
  EXPECT_EQ(inv2->msg->callId(), inv1->msg->callId());
  EXPECT_EQ(inv2->fromTag(), inv1->fromTag());
  EXPECT_EQ(inv2->msg->cseq()->number, inv1->msg->cseq()->number + 1);
  EXPECT_EQ(inv2->msg->body(), inv1->msg->body());
  auto cred = sip::parseCredentials(inv2->msg->value(HeaderId::kAuthorization));
  ASSERT_TRUE(cred.ok());
  EXPECT_EQ(cred->username.view(), "trunk1");
  EXPECT_EQ(cred->uri.view(), inv1->msg->requestUriText());
  EXPECT_TRUE(finalsTo(kPbx, m).empty()) << "the PBX sees nothing of the challenge";
  EXPECT_TRUE(requestsTo(kProvB, "INVITE").empty());

  Callee b = calleeFor(inv2);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  ASSERT_NE(calleeSends(a, b, 200, ok), nullptr);
  const Sent* ack = callerAcks(a, kProvA);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->cseq(), std::to_string(inv2->msg->cseq()->number) + " ACK");
  for (const Sent* s : sentTo(kPbx)) {
    EXPECT_EQ(s->bytes.find(kSecret), std::string::npos);
    EXPECT_FALSE(s->msg->has(HeaderId::kWwwAuthenticate));
  }
  // The BYE on B continues the CSeq after the authorized INVITE.
  const size_t mb = mark();
  deliver(a.request("BYE"), kPbx);
  const Sent* bye = lastRequestTo(kProvA, "BYE", mb);
  ASSERT_NE(bye, nullptr);
  EXPECT_GT(bye->msg->cseq()->number, inv2->msg->cseq()->number);
}

TEST_F(ProviderChallengeTest, ProxyChallengeGetsProxyAuthorization) {
  Caller a = pbxCaller();
  const Sent* inv1 = sendInvite(a, kProvA);
  ASSERT_NE(inv1, nullptr);
  const size_t m = mark();
  deliver(calleeFor(inv1).respond(407, challenge("Proxy-Authenticate")), kProvA);
  const Sent* inv2 = lastRequestTo(kProvA, "INVITE", m);
  ASSERT_NE(inv2, nullptr);
  EXPECT_TRUE(inv2->msg->has(HeaderId::kProxyAuthorization));
}

TEST_F(ProviderChallengeTest, RefusedCredentialsMoveToTheNextProvider) {
  Caller a = pbxCaller();
  const Sent* inv1 = sendInvite(a, kProvA);
  ASSERT_NE(inv1, nullptr);
  const size_t m = mark();
  deliver(calleeFor(inv1).respond(401, challenge()), kProvA);
  const Sent* inv2 = lastRequestTo(kProvA, "INVITE", m);
  ASSERT_NE(inv2, nullptr);
  deliver(calleeFor(inv2).respond(401, challenge()),
          kProvA);  // challenged again: refused
  EXPECT_EQ(requestsTo(kProvA, "INVITE", m).size(), 1u) << "one answer per challenge";
  const Sent* invB = lastRequestTo(kProvB, "INVITE", m);
  ASSERT_NE(invB, nullptr);
  EXPECT_FALSE(invB->msg->has(HeaderId::kAuthorization));
  deliver(calleeFor(invB, kProvB).respond(401, challenge()), kProvB);
  const Sent* invB2 = lastRequestTo(kProvB, "INVITE", m);
  ASSERT_NE(invB2, nullptr);
  deliver(calleeFor(invB2, kProvB).respond(401, challenge()), kProvB);
  // No provider left: the PBX gets 403, never the challenge.
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{403});
}

TEST_F(ProviderChallengeTest, ChallengedByeIsAnsweredToo) {
  Established c = establishOutbound();
  const size_t m = mark();
  deliver(c.a.request("BYE"), kPbx);
  const Sent* bye1 = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(bye1, nullptr);
  reply(bye1, kProvA, 401, challenge());
  const Sent* bye2 = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(bye2, nullptr);
  ASSERT_NE(bye2, bye1);
  EXPECT_TRUE(bye2->msg->has(HeaderId::kAuthorization));
  EXPECT_EQ(bye2->msg->cseq()->number, bye1->msg->cseq()->number + 1);
  reply(bye2, kProvA, 200);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{200});
  expectAllGone();
}

}  // namespace
}  // namespace tg::b2bua::testing
