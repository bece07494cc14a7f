#include "trunk/digest_client.h"

#include <gtest/gtest.h>

#include "../common/test_helpers.h"
#include "sip/auth_header.h"

namespace tg::trunk {
namespace {

// RFC 7616 §3.9.1: user Mufasa, password "Circle of Life".
constexpr const char* kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr const char* kOpaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
constexpr const char* kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

std::string challengeResponse(int code, const std::string& challenges) {
  return "SIP/2.0 " + std::to_string(code) +
         " Unauthorized\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
         "From: <sip:Mufasa@example.org>;tag=a\r\n"
         "To: <sip:Mufasa@example.org>;tag=b\r\n"
         "Call-ID: c1\r\n"
         "CSeq: 1 REGISTER\r\n" +
         challenges + "Content-Length: 0\r\n\r\n";
}

std::string rfcChallenge(const char* header, const char* algorithm) {
  return std::string(header) +
         ": Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
         "algorithm=" +
         algorithm + ", nonce=\"" + kNonce + "\", opaque=\"" + kOpaque + "\"\r\n";
}

config::ProviderAuth mufasa() {
  config::ProviderAuth a;
  a.enabled = true;
  a.username = "Mufasa";
  a.password = config::Secret("Circle of Life");
  return a;
}

sip::Credentials parsed(const std::string& value) {
  auto c = sip::parseCredentials(std::string_view(value));
  EXPECT_TRUE(c.ok()) << value;
  return *c;
}

TEST(DigestClient, Rfc7616Sha256IsPreferredOverMd5) {
  auto msg = testing::parse(challengeResponse(
      401, rfcChallenge("WWW-Authenticate", "MD5") + rfcChallenge("WWW-Authenticate", "SHA-256")));
  DigestClient client;
  client.setCnonceForTest(kCnonce);
  std::string why;
  auto auth = client.answer(*msg, "GET", "/dir/index.html", {}, mufasa(), &why);
  ASSERT_TRUE(auth) << why;
  EXPECT_EQ(auth->header, sip::HeaderId::kAuthorization);
  const sip::Credentials c = parsed(auth->value);
  EXPECT_EQ(c.response.view(), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(c.algorithm.view(), "SHA-256");
  EXPECT_EQ(c.qop.view(), "auth");
  EXPECT_EQ(c.nc.view(), "00000001");
  EXPECT_EQ(c.cnonce.view(), kCnonce);
  EXPECT_EQ(c.opaque.view(), kOpaque);
  EXPECT_EQ(c.username.view(), "Mufasa");
  EXPECT_EQ(c.uri.view(), "/dir/index.html");
}

TEST(DigestClient, Rfc7616Md5) {
  auto msg = testing::parse(challengeResponse(401, rfcChallenge("WWW-Authenticate", "MD5")));
  DigestClient client;
  client.setCnonceForTest(kCnonce);
  auto auth = client.answer(*msg, "GET", "/dir/index.html", {}, mufasa(), nullptr);
  ASSERT_TRUE(auth);
  EXPECT_EQ(parsed(auth->value).response.view(), "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestClient, ProxyChallengeIsAnsweredInProxyAuthorization) {
  auto msg = testing::parse(challengeResponse(407, rfcChallenge("Proxy-Authenticate", "MD5")));
  DigestClient client;
  auto auth = client.answer(*msg, "INVITE", "sip:100@example.org", {}, mufasa(), nullptr);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->header, sip::HeaderId::kProxyAuthorization);
}

TEST(DigestClient, ReuseCountsTheNonce) {
  auto msg = testing::parse(challengeResponse(401, rfcChallenge("WWW-Authenticate", "MD5")));
  DigestClient client;
  ASSERT_TRUE(client.answer(*msg, "REGISTER", "sip:example.org", {}, mufasa(), nullptr));
  auto again = client.reuse("REGISTER", "sip:example.org", {}, mufasa());
  ASSERT_TRUE(again);
  EXPECT_EQ(parsed(again->value).nc.view(), "00000002");
  EXPECT_EQ(client.nonceCount(), 2u);
  client.reset();
  EXPECT_FALSE(client.reuse("REGISTER", "sip:example.org", {}, mufasa()));
}

TEST(DigestClient, NoQopUsesTheRfc2069Form) {
  auto msg = testing::parse(
      challengeResponse(401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n"));
  DigestClient client;
  auto auth = client.answer(*msg, "REGISTER", "sip:r", {}, mufasa(), nullptr);
  ASSERT_TRUE(auth);
  const sip::Credentials c = parsed(auth->value);
  EXPECT_FALSE(c.qop.present);
  EXPECT_FALSE(c.nc.present);
  EXPECT_FALSE(c.algorithm.present);  // not named in the challenge: not named in the answer
  // H(H(A1):nonce:H(A2)) with MD5.
  const std::string ha1 = sip::ha1(sip::DigestAlgorithm::kMd5, "Mufasa", "r", "Circle of Life");
  const std::string ha2 =
      sip::ha2(sip::DigestAlgorithm::kMd5, "REGISTER", "sip:r", sip::DigestQop::kNone);
  EXPECT_EQ(c.response.view(), sip::response(sip::DigestAlgorithm::kMd5, ha1, "n1", {}, {},
                                             sip::DigestQop::kNone, ha2));
}

TEST(DigestClient, OtherRealmIsRefused) {
  auto msg = testing::parse(challengeResponse(401, rfcChallenge("WWW-Authenticate", "MD5")));
  config::ProviderAuth auth = mufasa();
  auth.realm = "carrier.example";
  DigestClient client;
  std::string why;
  EXPECT_FALSE(client.answer(*msg, "REGISTER", "sip:x", {}, auth, &why));
  EXPECT_NE(why.find("http-auth@example.org"), std::string::npos) << why;
  EXPECT_EQ(why.find("Circle"), std::string::npos);
}

TEST(DigestClient, UnknownAlgorithmIsRefused) {
  auto msg = testing::parse(challengeResponse(
      401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5\r\n"));
  DigestClient client;
  std::string why;
  EXPECT_FALSE(client.answer(*msg, "REGISTER", "sip:r", {}, mufasa(), &why));
  EXPECT_NE(why.find("AKAv1-MD5"), std::string::npos) << why;
}

TEST(DigestClient, StaleIsRemembered) {
  auto msg = testing::parse(challengeResponse(
      401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", stale=true, qop=\"auth\"\r\n"));
  DigestClient client;
  ASSERT_TRUE(client.answer(*msg, "REGISTER", "sip:r", {}, mufasa(), nullptr));
  EXPECT_TRUE(client.stale());
  EXPECT_EQ(client.nonce(), "n2");
}

}  // namespace
}  // namespace tg::trunk
