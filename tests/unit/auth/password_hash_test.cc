// Admin API passwords: scrypt hashes that verify, differ per salt, and refuse tampered or
// malformed stored values (including parameters that would make a login eat the host).

#include "auth/password_hash.h"

#include <gtest/gtest.h>

namespace tg::auth {
namespace {

// Cheap parameters: the tests check the format and the comparison, not the cost.
constexpr ScryptParams kFast{10, 8, 1};

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
  const std::string stored = hashAdminPassword("correct horse battery", kFast);
  ASSERT_EQ(stored.rfind("scrypt$10$8$1$", 0), 0u) << stored;
  EXPECT_TRUE(verifyAdminPassword("correct horse battery", stored));
  EXPECT_FALSE(verifyAdminPassword("correct horse batterY", stored));
  EXPECT_FALSE(verifyAdminPassword("", stored));
}

TEST(PasswordHash, TheDefaultIsScryptWithN32768) {
  const std::string stored = hashAdminPassword("pw");
  EXPECT_EQ(stored.rfind("scrypt$15$8$1$", 0), 0u) << stored;
  EXPECT_TRUE(verifyAdminPassword("pw", stored));
}

TEST(PasswordHash, EachHashHasItsOwnSalt) {
  EXPECT_NE(hashAdminPassword("same", kFast), hashAdminPassword("same", kFast));
}

TEST(PasswordHash, MalformedOrTamperedValuesNeverVerify) {
  const std::string stored = hashAdminPassword("pw", kFast);
  std::string flipped = stored;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(verifyAdminPassword("pw", flipped));
  for (const char* bad :
       {"", "scrypt", "scrypt$", "scrypt$10$8$1$", "scrypt$10$8$1$zz$00", "bcrypt$10$8$1$00$00",
        "scrypt$40$8$1$0011$0011", "scrypt$10$999$1$0011$0011", "scrypt$-1$8$1$0011$0011",
        "scrypt$10$8$1$0011$"}) {
    EXPECT_FALSE(verifyAdminPassword("pw", bad)) << bad;
  }
}

}  // namespace
}  // namespace tg::auth
