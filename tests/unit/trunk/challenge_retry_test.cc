#include "trunk/challenge_retry.h"

#include <gtest/gtest.h>

#include "../common/test_helpers.h"
#include "sip/auth_header.h"
#include "sip/digest.h"

namespace tg::trunk {
namespace {

constexpr const char* kInvite =
    "INVITE sip:15551234567@carrier.test SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKold1;rport\r\n"
    "Max-Forwards: 69\r\n"
    "From: <sip:100@127.0.0.1>;tag=fromtag\r\n"
    "To: <sip:15551234567@carrier.test>\r\n"
    "Call-ID: b-leg-call-id\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:trunkguard@127.0.0.1:5062>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n\r\n"
    "v=0\n";

std::unique_ptr<sip::Message> challenge(int code, const char* header) {
  return testing::parse(
      "SIP/2.0 " + std::to_string(code) +
      " Unauthorized\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKold1;rport\r\n"
      "From: <sip:100@127.0.0.1>;tag=fromtag\r\n"
      "To: <sip:15551234567@carrier.test>;tag=prov\r\n"
      "Call-ID: b-leg-call-id\r\n"
      "CSeq: 1 INVITE\r\n" +
      std::string(header) +
      ": Digest realm=\"carrier.test\", nonce=\"n1\", qop=\"auth\", algorithm=SHA-256\r\n"
      "Content-Length: 0\r\n\r\n");
}

config::ProviderAuth creds() {
  config::ProviderAuth a;
  a.enabled = true;
  a.username = "trunk1";
  a.password = config::Secret("pw");
  return a;
}

TEST(ChallengeRetry, SameRequestWithCredentialsNewBranchNextCseq) {
  std::string why;
  auto retry = authorizeRetry(kInvite, *challenge(401, "WWW-Authenticate"), creds(), &why);
  ASSERT_TRUE(retry) << why;
  EXPECT_EQ(retry->cseq, 2u);
  auto m = testing::parse(retry->bytes);
  EXPECT_EQ(m->requestUriText(), "sip:15551234567@carrier.test");
  EXPECT_EQ(m->topVia()->branch(), retry->branch);
  EXPECT_NE(retry->branch, "z9hG4bKold1");
  EXPECT_EQ(m->value(sip::HeaderId::kCSeq), "2 INVITE");
  EXPECT_EQ(m->callId(), "b-leg-call-id");
  EXPECT_EQ(m->from()->tag(), "fromtag");
  EXPECT_TRUE(m->to()->tag().empty());
  EXPECT_EQ(m->body(), "v=0\n");
  auto c = sip::parseCredentials(m->value(sip::HeaderId::kAuthorization));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->uri.view(), "sip:15551234567@carrier.test");
  EXPECT_EQ(c->username.view(), "trunk1");
  // The response is right for this method and URI.
  sip::DigestInputs in;
  in.algorithm = sip::DigestAlgorithm::kSha256;
  in.username = "trunk1";
  in.realm = "carrier.test";
  in.password = "pw";
  in.method = "INVITE";
  in.uri = "sip:15551234567@carrier.test";
  in.nonce = "n1";
  in.nc = "00000001";
  const std::string cnonce = c->cnonce.str();
  in.cnonce = cnonce;
  in.qop = sip::DigestQop::kAuth;
  EXPECT_EQ(c->response.view(), sip::computeResponse(in));
}

TEST(ChallengeRetry, ProxyChallengeGetsProxyAuthorization) {
  auto retry = authorizeRetry(kInvite, *challenge(407, "Proxy-Authenticate"), creds(), nullptr);
  ASSERT_TRUE(retry);
  auto m = testing::parse(retry->bytes);
  EXPECT_TRUE(m->has(sip::HeaderId::kProxyAuthorization));
  EXPECT_FALSE(m->has(sip::HeaderId::kAuthorization));
}

TEST(ChallengeRetry, SecondChallengeIsNotAnswered) {
  auto first = authorizeRetry(kInvite, *challenge(401, "WWW-Authenticate"), creds(), nullptr);
  ASSERT_TRUE(first);
  std::string why;
  EXPECT_FALSE(authorizeRetry(first->bytes, *challenge(401, "WWW-Authenticate"), creds(), &why));
  EXPECT_NE(why.find("refused"), std::string::npos) << why;
}

TEST(ChallengeRetry, NoCredentialsNoRetry) {
  std::string why;
  EXPECT_FALSE(
      authorizeRetry(kInvite, *challenge(401, "WWW-Authenticate"), config::ProviderAuth{}, &why));
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace tg::trunk
