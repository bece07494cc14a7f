#include "sip/identity_headers.h"

#include <gtest/gtest.h>

namespace tg::sip {
namespace {

TEST(AssertedIdentityTest, OneOrTwoIdentities) {
  auto one = parseAssertedIdentity("\"Cullen Jennings\" <sip:fluffy@cisco.com>");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].uri.user, "fluffy");
  auto two = parseAssertedIdentity("<sip:+14085551212@example.com;user=phone>, <tel:+14085551212>");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].uri.scheme, UriScheme::kTel);
  EXPECT_FALSE(parseAssertedIdentity("").ok());
  EXPECT_FALSE(parseAssertedIdentity("<http://example.com>").ok());
  EXPECT_FALSE(parseAssertedIdentity("<sip:a@b>, <sip:c@d>, <tel:+1>").ok());
}

TEST(PrivacyTest, FlagsAndErrors) {
  auto p = parsePrivacy("id; header;user");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, kPrivacyId | kPrivacyHeader | kPrivacyUser);
  EXPECT_EQ(*parsePrivacy("none"), kPrivacyNone);
  EXPECT_FALSE(parsePrivacy("none;id").ok());
  EXPECT_FALSE(parsePrivacy("bogus").ok());
  EXPECT_FALSE(parsePrivacy("").ok());
}

TEST(IdentityTest, ShakenHeader) {
  auto id = parseIdentity(
      "eyJhbGciOiJFUzI1NiJ9.eyJhdHRlc3QiOiJBIn0.c2lnbmF0dXJl;"
      "info=<https://cert.example.org/passport.cer;v=1>;alg=ES256;ppt=shaken");
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->token, "eyJhbGciOiJFUzI1NiJ9.eyJhdHRlc3QiOiJBIn0.c2lnbmF0dXJl");
  EXPECT_EQ(id->info, "https://cert.example.org/passport.cer;v=1");
  EXPECT_EQ(id->alg, "ES256");
  EXPECT_EQ(id->ppt, "shaken");
  EXPECT_FALSE(parseIdentity("notatoken").ok());
  EXPECT_FALSE(parseIdentity("a.b.c;info=<https://x").ok());
}

TEST(ProductsTest, UserAgentAndServer) {
  auto p = parseProducts("Asterisk PBX 18.2.0 (Linux) FPBX/16.0.10");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 4u);  // Asterisk, PBX, 18.2.0, FPBX/16.0.10
  EXPECT_EQ((*p)[0].name, "Asterisk");
  EXPECT_EQ((*p)[3].name, "FPBX");
  EXPECT_EQ((*p)[3].version, "16.0.10");
  auto f = parseProducts("friendly-scanner");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)[0].name, "friendly-scanner");
  EXPECT_FALSE(parseProducts("(unterminated").ok());
  EXPECT_FALSE(parseProducts("x/").ok());
  EXPECT_FALSE(parseProducts("   ").ok());
}

TEST(IdentityHeadersTest, TruncationsNeverCrash) {
  const std::string samples[] = {"\"A\" <sip:a@b>, <tel:+1>", "id;header",
                                 "a.b.c;info=<https://x;y>;alg=ES256",
                                 "Asterisk/18 (a (nested) comment) X/1"};
  for (const std::string& s : samples) {
    for (size_t n = 0; n <= s.size(); ++n) {
      const std::string cut = s.substr(0, n);
      (void)parseAssertedIdentity(cut);
      (void)parsePrivacy(cut);
      (void)parseIdentity(cut);
      (void)parseProducts(cut);
    }
  }
}

}  // namespace
}  // namespace tg::sip
