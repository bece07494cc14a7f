#include "db/audit_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "db/account_store.h"

namespace tg::db {
namespace {

class AuditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-audit-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(AuditStoreTest, AppendsAndListsNewestFirst) {
  AuditStore store(path_);
  EXPECT_TRUE(store.recent(10).empty());
  ASSERT_EQ(store.append({1000, "root", "ban add 192.0.2.7", "ok", 0, "/dev/pts/1", "gw1"}), "");
  ASSERT_EQ(
      store.append({2000, "alice", "account disable 201", "refused: wrong, expired or reused code",
                    1000, "-", "gw1 via ssh from 192.0.2.9"}),
      "");
  const auto rows = store.recent(10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].actor, "alice");
  EXPECT_EQ(rows[0].uid, 1000);
  EXPECT_EQ(rows[0].host, "gw1 via ssh from 192.0.2.9");
  EXPECT_EQ(rows[1].action, "ban add 192.0.2.7");
  EXPECT_EQ(rows[1].tty, "/dev/pts/1");
  EXPECT_EQ(store.recent(1).size(), 1u);
  EXPECT_GE(Database(path_).schemaVersion(), 7);
}

TEST_F(AuditStoreTest, AdminLoginStateRoundTrips) {
  AccountStore store(path_);
  AdminRecord admin;
  admin.name = "alice";
  admin.totpSecretHex = std::string(40, 'a');
  admin.createdMs = 5;
  ASSERT_EQ(store.addAdmin(admin), "");
  EXPECT_EQ(store.findAdmin("alice")->login.failures, 0);
  EXPECT_EQ(
      store.setAdminLogin(
          "alice", {.failures = 3, .firstFailureMs = 10, .lockedUntilMs = 99, .lockCount = 2}),
      "");
  const auto read = store.findAdmin("alice");
  EXPECT_EQ(read->login.failures, 3);
  EXPECT_EQ(read->login.firstFailureMs, 10);
  EXPECT_EQ(read->login.lockedUntilMs, 99);
  EXPECT_EQ(read->login.lockCount, 2);
  EXPECT_EQ(store.listAdmins().front().login.lockCount, 2);
}

}  // namespace
}  // namespace tg::db
