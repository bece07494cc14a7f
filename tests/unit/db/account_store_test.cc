#include "db/account_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <string>

namespace tg::db {
namespace {

class AccountStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-acct-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static AccountRecord account(std::string name) {
    AccountRecord r;
    r.username = std::move(name);
    r.realm = "gw.example.com";
    r.ha1Md5 = std::string(32, 'a');
    r.ha1Sha256 = std::string(64, 'b');
    r.ha1Sha512_256 = std::string(64, 'c');
    r.allowedNetworks = {"198.51.100.0/24", "2001:db8::/32"};
    r.allowedCallerIds = {"+15551230201"};
    r.maxRegistrations = 3;
    r.createdMs = 1000;
    r.passwordChangedMs = 2000;
    return r;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(AccountStoreTest, AddFindListAndDuplicates) {
  AccountStore store(path_);
  EXPECT_EQ(store.add(account("202")), "");
  EXPECT_EQ(store.add(account("201")), "");
  bool exists = false;
  EXPECT_NE(store.add(account("201"), &exists), "");
  EXPECT_TRUE(exists);
  const auto all = store.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].username, "201");
  const auto found = store.find("201");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->realm, "gw.example.com");
  EXPECT_EQ(found->ha1Sha512_256, std::string(64, 'c'));
  EXPECT_EQ(found->allowedNetworks, (std::vector<std::string>{"198.51.100.0/24", "2001:db8::/32"}));
  EXPECT_EQ(found->allowedCallerIds, std::vector<std::string>{"+15551230201"});
  EXPECT_EQ(found->maxRegistrations, 3);
  EXPECT_TRUE(found->enabled);
  EXPECT_EQ(found->passwordChangedMs, 2000);
  EXPECT_FALSE(found->lockedUntilMs.has_value());
  EXPECT_FALSE(store.find("999").has_value());
}

TEST_F(AccountStoreTest, NoPlaintextColumn) {
  AccountStore store(path_);
  Database db(path_);
  Statement s = db.prepare("SELECT group_concat(name, ' ') FROM pragma_table_info('accounts')");
  ASSERT_EQ(s.step(), Statement::Step::kRow);
  const std::string columns = s.columnText(0);
  EXPECT_EQ(columns.find("password "), std::string::npos) << columns;
  EXPECT_NE(columns.find("ha1_sha512_256"), std::string::npos);
}

TEST_F(AccountStoreTest, PasswordEnableLockAndUnlock) {
  AccountStore store(path_);
  ASSERT_EQ(store.add(account("201")), "");
  bool found = false;
  EXPECT_EQ(store.setPassword("201", "gw.example.com", "m", "s", "t", 5000, &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(store.find("201")->ha1Md5, "m");
  EXPECT_EQ(store.find("201")->passwordChangedMs, 5000);
  EXPECT_EQ(store.setPassword("999", "r", "m", "s", "t", 5000, &found), "");
  EXPECT_FALSE(found);

  EXPECT_EQ(store.setEnabled("201", false, &found), "");
  EXPECT_TRUE(found);
  EXPECT_FALSE(store.find("201")->enabled);

  EXPECT_EQ(store.setLock("201", 90000, 2), "");
  EXPECT_EQ(store.find("201")->lockedUntilMs, 90000);
  EXPECT_EQ(store.find("201")->lockCount, 2);
  EXPECT_EQ(store.unlock("201", 7000, &found), "");
  EXPECT_TRUE(found);
  const auto after = store.find("201");
  EXPECT_FALSE(after->lockedUntilMs.has_value());
  EXPECT_EQ(after->lockCount, 0);
  EXPECT_EQ(after->unlockedMs, 7000);

  EXPECT_EQ(store.remove("201", &found), "");
  EXPECT_TRUE(found);
  EXPECT_TRUE(store.list().empty());
}

TEST_F(AccountStoreTest, AdminsAndTotpStepOnlyMovesForward) {
  AccountStore store(path_);
  EXPECT_EQ(store.addAdmin({"alice", "3132", 0, 1000, {}, ""}), "");
  bool exists = false;
  EXPECT_NE(store.addAdmin({"alice", "3132", 0, 1000, {}, ""}, &exists), "");
  EXPECT_TRUE(exists);
  bool advanced = false;
  EXPECT_EQ(store.advanceTotpStep("alice", 100, &advanced), "");
  EXPECT_TRUE(advanced);
  EXPECT_EQ(store.advanceTotpStep("alice", 100, &advanced), "");
  EXPECT_FALSE(advanced);  // the same step again: a reused code
  EXPECT_EQ(store.advanceTotpStep("alice", 99, &advanced), "");
  EXPECT_FALSE(advanced);
  EXPECT_EQ(store.findAdmin("alice")->lastTotpStep, 100);
  EXPECT_EQ(store.listAdmins().size(), 1u);
}

TEST_F(AccountStoreTest, DatabaseFileIsPrivateAndEditsAreNoticed) {
  AccountStore gateway(path_);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_FALSE(gateway.changedSinceLastCheck());  // baseline
  AccountStore cli(path_);
  ASSERT_EQ(cli.add(account("201")), "");
  EXPECT_EQ(cli.noteEdited(), "");
  EXPECT_TRUE(gateway.changedSinceLastCheck());
  EXPECT_FALSE(gateway.changedSinceLastCheck());
}

TEST(WordsTest, JoinAndSplit) {
  EXPECT_EQ(joinWords({"a", "b"}), "a b");
  EXPECT_EQ(splitWords("  a  b "), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(splitWords("").empty());
}

base::SealingKey SealingKeyFor(unsigned char fill);

// Issue 12 item 11: TOTP secrets are sealed at rest once a key is set, and old plaintext rows
// are sealed in place.
TEST_F(AccountStoreTest, AdminSecretsAreSealedWithAKeyAndPlaintextOnesMigrated) {
  const std::string secret = "3132333435363738393031323334353637383930";
  auto rawSecret = [&](const std::string& name) {
    Database db(path_);
    Statement s = db.prepare("SELECT totp_secret FROM admin_users WHERE name = ?1");
    s.bind(1, name);
    return s.step() == Statement::Step::kRow ? s.columnText(0) : std::string();
  };
  {
    AccountStore old(path_);  // a database from before sealing
    ASSERT_EQ(old.addAdmin({"alice", secret, 0, 1000, {}, ""}), "");
  }
  EXPECT_EQ(rawSecret("alice"), secret);

  AccountStore store(path_);
  store.setSealingKey(SealingKeyFor(1));
  EXPECT_EQ(store.sealPlaintextAdminSecrets(), 1);
  EXPECT_EQ(store.sealPlaintextAdminSecrets(), 0);  // once
  EXPECT_TRUE(base::isSealed(rawSecret("alice")));
  EXPECT_EQ(rawSecret("alice").find(secret), std::string::npos);
  EXPECT_EQ(store.findAdmin("alice")->totpSecretHex, secret);
  ASSERT_EQ(store.addAdmin({"bob", secret, 0, 1000, {}, ""}), "");
  EXPECT_TRUE(base::isSealed(rawSecret("bob")));
  EXPECT_EQ(store.listAdmins().back().totpSecretHex, secret);

  AccountStore noKey(path_);
  EXPECT_EQ(noKey.findAdmin("alice")->totpSecretHex, "");  // codes fail, nothing leaks
  EXPECT_NE(noKey.lastError().find("no key"), std::string::npos);
  AccountStore wrongKey(path_);
  wrongKey.setSealingKey(SealingKeyFor(2));
  EXPECT_EQ(wrongKey.findAdmin("alice")->totpSecretHex, "");
  EXPECT_NE(wrongKey.lastError().find("does not authenticate"), std::string::npos);
}

base::SealingKey SealingKeyFor(unsigned char fill) {
  std::array<unsigned char, base::SealingKey::kBytes> bytes{};
  bytes.fill(fill);
  return base::SealingKey::fromBytes(bytes);
}

}  // namespace
}  // namespace tg::db
