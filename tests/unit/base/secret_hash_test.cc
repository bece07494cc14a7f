#include "base/secret_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace tg::base {
namespace {

TEST(SecretHash, MatchesOnlyItsSecret) {
  const std::string h = hashSecret("4821");
  ASSERT_TRUE(isSecretHash(h)) << h;
  EXPECT_EQ(h.rfind("pbkdf2-sha256$2000$", 0), 0u) << h;
  EXPECT_TRUE(secretMatches("4821", h));
  EXPECT_FALSE(secretMatches("4822", h));
  EXPECT_FALSE(secretMatches("48210", h));
  EXPECT_FALSE(secretMatches("", h));
}

TEST(SecretHash, EachHashHasItsOwnSalt) {
  const std::string a = hashSecret("4821");
  const std::string b = hashSecret("4821");
  EXPECT_NE(a, b);
  EXPECT_TRUE(secretMatches("4821", a));
  EXPECT_TRUE(secretMatches("4821", b));
}

// The derivation itself against an independent one: python3 -c "import hashlib;
// print(hashlib.pbkdf2_hmac('sha256', b'password', bytes(range(16)), 1).hex())".
TEST(SecretHash, KnownAnswer) {
  const std::string stored =
      "pbkdf2-sha256$1$000102030405060708090a0b0c0d0e0f$"
      "e1b08f92be8174d9f442d95d89aa4ccdc311231a4d70d0b854d1548de8fabdfd";
  EXPECT_TRUE(isSecretHash(stored));
  EXPECT_TRUE(secretMatches("password", stored));
  EXPECT_FALSE(secretMatches("passwore", stored));
}

TEST(SecretHash, MalformedHashesAreNamedAndNeverMatch) {
  std::string why;
  EXPECT_FALSE(isSecretHash("4821", &why));
  EXPECT_NE(why.find("pbkdf2-sha256$"), std::string::npos) << why;
  EXPECT_FALSE(isSecretHash("pbkdf2-sha256$0$00$00", &why));
  EXPECT_NE(why.find("iteration"), std::string::npos) << why;
  EXPECT_FALSE(isSecretHash("pbkdf2-sha256$10$zz$00", &why));
  EXPECT_NE(why.find("salt"), std::string::npos) << why;
  const std::string h = hashSecret("4821");
  EXPECT_FALSE(isSecretHash(h.substr(0, h.size() - 2), &why));
  EXPECT_NE(why.find("hash"), std::string::npos) << why;
  EXPECT_FALSE(secretMatches("4821", h.substr(0, h.size() - 2)));
  EXPECT_FALSE(secretMatches("4821", "pbkdf2-sha256$"));
}

TEST(SecretHash, ConstantTimeEquality) {
  EXPECT_TRUE(equalConstantTime("4821", "4821"));
  EXPECT_FALSE(equalConstantTime("4821", "4822"));
  EXPECT_FALSE(equalConstantTime("4821", "482"));
  EXPECT_TRUE(equalConstantTime("", ""));
}

}  // namespace
}  // namespace tg::base
