// The admin TOTP check the CLI gate and the admin API's login share: one use per code, failures
// locking the admin, a locked admin refused even with the right code.

#include "app/admin_code_check.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "auth/password_hash.h"
#include "auth/totp.h"
#include "db/account_store.h"

namespace tg::app {
namespace {

constexpr std::time_t kNow = 1'900'000'000;
constexpr int64_t kNowMs = kNow * 1000LL;

class AdminCodeCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-acode-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    store_ = std::make_unique<db::AccountStore>((dir_ / "t.db").string());
    db::AdminRecord alice;
    alice.name = "alice";
    alice.totpSecretHex = auth::newTotpSecretHex();
    secret_ = alice.totpSecretHex;
    ASSERT_EQ(store_->addAdmin(alice), "");
    policy_.failures = 3;
    policy_.duration = std::chrono::seconds(60);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string codeAt(std::time_t t) const { return auth::totpCode(secret_, t); }
  std::string wrongCode() const {
    for (const char* c : {"000000", "111111", "222222"}) {
      if (c != codeAt(kNow - 30) && c != codeAt(kNow) && c != codeAt(kNow + 30)) return c;
    }
    return "333333";
  }

  std::filesystem::path dir_;
  std::unique_ptr<db::AccountStore> store_;
  std::string secret_;
  auth::LockoutPolicy policy_;
};

TEST_F(AdminCodeCheckTest, AcceptsACurrentCodeOnce) {
  EXPECT_TRUE(checkAdminCode(*store_, "alice", codeAt(kNow), policy_, kNowMs, kNow).accepted);
  const AdminCodeCheck again =
      checkAdminCode(*store_, "alice", codeAt(kNow), policy_, kNowMs, kNow);
  EXPECT_FALSE(again.accepted);
  EXPECT_EQ(again.why, "wrong, expired or reused code");
}

TEST_F(AdminCodeCheckTest, UnknownAdminIsRefusedWithoutCounting) {
  const AdminCodeCheck c = checkAdminCode(*store_, "mallory", "123456", policy_, kNowMs, kNow);
  EXPECT_FALSE(c.accepted);
  EXPECT_EQ(c.why, "unknown admin");
}

TEST_F(AdminCodeCheckTest, FailuresLockTheAdminEvenForTheRightCode) {
  for (int i = 0; i < policy_.failures - 1; ++i) {
    EXPECT_FALSE(checkAdminCode(*store_, "alice", wrongCode(), policy_, kNowMs, kNow).accepted);
  }
  const AdminCodeCheck locking =
      checkAdminCode(*store_, "alice", wrongCode(), policy_, kNowMs, kNow);
  EXPECT_FALSE(locking.accepted);
  EXPECT_NE(locking.why.find("admin locked for 60s"), std::string::npos) << locking.why;
  const AdminCodeCheck locked =
      checkAdminCode(*store_, "alice", codeAt(kNow), policy_, kNowMs + 1000, kNow + 1);
  EXPECT_FALSE(locked.accepted);
  EXPECT_EQ(locked.why.rfind("admin locked until", 0), 0u) << locked.why;
  // Once the lock has passed, a fresh code works again.
  EXPECT_TRUE(
      checkAdminCode(*store_, "alice", codeAt(kNow + 90), policy_, kNowMs + 90'000, kNow + 90)
          .accepted);
}

}  // namespace
}  // namespace tg::app

namespace tg::app {
namespace {

TEST_F(AdminCodeCheckTest, ApiLoginNeedsThePasswordBeforeTheCode) {
  // Migrated admins have no password: the API refuses them, the CLI's code check does not care.
  const AdminCodeCheck none =
      checkAdminLogin(*store_, "alice", "", codeAt(kNow), policy_, kNowMs, kNow);
  EXPECT_FALSE(none.accepted);
  EXPECT_EQ(none.why, "no API password set (trunkguard admin passwd alice)");

  ASSERT_EQ(store_->setAdminPassword("alice", auth::hashAdminPassword("correct horse battery")),
            "");
  const AdminCodeCheck wrong =
      checkAdminLogin(*store_, "alice", "correct horse", codeAt(kNow), policy_, kNowMs, kNow);
  EXPECT_FALSE(wrong.accepted);
  EXPECT_EQ(wrong.why, "wrong password");
  EXPECT_EQ(store_->findAdmin("alice")->login.failures, 1);
  // The wrong password left the code unused.
  EXPECT_TRUE(checkAdminLogin(*store_, "alice", "correct horse battery", codeAt(kNow), policy_,
                              kNowMs, kNow)
                  .accepted);
  EXPECT_EQ(store_->findAdmin("alice")->login.failures, 0);
}

TEST_F(AdminCodeCheckTest, WrongPasswordsLockTheAdminLikeWrongCodes) {
  ASSERT_EQ(store_->setAdminPassword("alice", auth::hashAdminPassword("correct horse battery")),
            "");
  for (int i = 0; i < 3; ++i) {
    checkAdminLogin(*store_, "alice", "guess" + std::to_string(i), codeAt(kNow), policy_, kNowMs,
                    kNow);
  }
  const AdminCodeCheck locked = checkAdminLogin(*store_, "alice", "correct horse battery",
                                                codeAt(kNow), policy_, kNowMs + 1000, kNow);
  EXPECT_FALSE(locked.accepted);
  EXPECT_EQ(locked.why.rfind("admin locked until", 0), 0u) << locked.why;
}

}  // namespace
}  // namespace tg::app
