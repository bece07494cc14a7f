#include "auth/password_policy.h"

#include <gtest/gtest.h>

#include <string>

namespace tg::auth {
namespace {

using namespace std::chrono_literals;

config::PasswordPolicySettings defaults() { return {}; }

TEST(PasswordPolicyTest, AcceptsAStrongPassword) {
  PasswordPolicy p(defaults());
  EXPECT_EQ(p.check("Lantern-Orbit-58", "201"), "");
}

TEST(PasswordPolicyTest, SaysWhatIsWrong) {
  PasswordPolicy p(defaults());
  EXPECT_EQ(p.check("", "201"), "the password is empty");
  EXPECT_NE(p.check("1234", "201").find("first passwords SIP scanners try"), std::string::npos);
  EXPECT_NE(p.check("PASSWORD", "201").find("first passwords SIP scanners try"), std::string::npos);
  EXPECT_EQ(p.check("201", "201"), "the password is the username itself");
  EXPECT_EQ(p.check("201", "ext201"), "the password is the extension number");
  EXPECT_EQ(p.check("Lantern-201-Orbit", "201"), "the password contains the extension number 201");
  EXPECT_EQ(p.check("xAliceLantern-58", "alice"), "the password contains the username 'alice'");
  EXPECT_EQ(p.check("Short-1a", "201"), "the password has 8 characters; at least 12 are required");
  EXPECT_NE(p.check("abc\x01"
                    "defghijklmn",
                    "201")
                .find("control characters"),
            std::string::npos);
}

TEST(PasswordPolicyTest, LibpwqualityChecksClassesAndDictionary) {
  PasswordPolicy p(defaults());
  const std::string classes = p.check("lanternorbitfive", "201");
  EXPECT_NE(classes.find("character classes"), std::string::npos) << classes;
  config::PasswordPolicySettings oneClass;
  oneClass.minClasses = 1;
  PasswordPolicy dictionary(oneClass);
  const std::string word = dictionary.check("international", "201");
  EXPECT_NE(word.find("dictionary"), std::string::npos) << word;
  oneClass.dictionaryCheck = false;
  EXPECT_EQ(PasswordPolicy(oneClass).check("international", "201"), "");
}

TEST(PasswordPolicyTest, GeneratedPasswordsPassAndDiffer) {
  PasswordPolicy p(defaults());
  std::string error;
  const auto a = p.generate("201", &error);
  const auto b = p.generate("201", &error);
  ASSERT_TRUE(a.has_value()) << error;
  ASSERT_TRUE(b.has_value()) << error;
  EXPECT_NE(*a, *b);
  EXPECT_GE(a->size(), 12u);
  EXPECT_EQ(p.check(*a, "201"), "");
}

TEST(PasswordPolicyTest, AgeWarnsAndExpires) {
  config::PasswordPolicySettings s;
  s.maxAgeDays = 90;
  s.warnDays = 14;
  PasswordPolicy p(s);
  const base::SystemTime changed{};
  EXPECT_EQ(p.age(changed, changed + std::chrono::hours(24 * 10)).status, PasswordAge::Status::kOk);
  const PasswordAge warn = p.age(changed, changed + std::chrono::hours(24 * 80));
  EXPECT_EQ(warn.status, PasswordAge::Status::kWarn);
  EXPECT_EQ(warn.daysLeft, 10);
  EXPECT_EQ(p.age(changed, changed + std::chrono::hours(24 * 90)).status,
            PasswordAge::Status::kExpired);
  EXPECT_FALSE(p.refuses(changed, changed + std::chrono::hours(24 * 91)));
  s.refuseExpired = true;
  EXPECT_TRUE(PasswordPolicy(s).refuses(changed, changed + std::chrono::hours(24 * 91)));
  EXPECT_EQ(PasswordPolicy(defaults()).age(changed, changed + std::chrono::hours(24 * 9999)).status,
            PasswordAge::Status::kOk);
}

}  // namespace
}  // namespace tg::auth
