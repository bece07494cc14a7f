#include "app/account_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <sstream>
#include <string>

#include "auth/totp.h"
#include "db/account_store.h"

namespace tg::app {
namespace {

class AccountCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-acli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_ = (dir_ / "t.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int run(AccountCommandOptions o, const std::string& stdinText = "") {
    o.dbPath = db_;
    std::istringstream in(stdinText);
    out_.str("");
    err_.str("");
    return runAccount(o, in, out_, err_);
  }

  std::filesystem::path dir_;
  std::string db_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(AccountCommandTest, AddChecksThePolicyAndStoresNoPassword) {
  AccountCommandOptions o;
  o.action = "add";
  o.user = "201";
  EXPECT_EQ(run(o, "1234\n"), 1);
  EXPECT_NE(err_.str().find("first passwords SIP scanners try"), std::string::npos);
  o.allowFrom = {"198.51.100.0/24"};
  o.callerIds = {"+15551230201"};
  EXPECT_EQ(run(o, "Lantern-Orbit-58\n"), 0) << err_.str();
  EXPECT_EQ(out_.str().find("Lantern"), std::string::npos);
  EXPECT_EQ(run(o, "Lantern-Orbit-58\n"), 1);  // exists
  o.allowFrom = {"198.51.100.1/24"};
  o.user = "202";
  EXPECT_EQ(run(o, "Lantern-Orbit-58\n"), 2);  // host bits set

  db::AccountStore store(db_);
  const auto a = store.find("201");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->realm, "trunkguard");
  EXPECT_EQ(a->allowedNetworks, std::vector<std::string>{"198.51.100.0/24"});
  EXPECT_EQ(a->ha1Sha256.size(), 64u);
}

TEST_F(AccountCommandTest, GeneratePrintsOnceAndPasswdChangesIt) {
  AccountCommandOptions o;
  o.action = "add";
  o.user = "alice";
  o.generate = true;
  ASSERT_EQ(run(o), 0) << err_.str();
  EXPECT_NE(out_.str().find("shown once"), std::string::npos);
  const std::string before = db::AccountStore(db_).find("alice")->ha1Md5;
  o.action = "passwd";
  ASSERT_EQ(run(o), 0) << err_.str();
  EXPECT_NE(db::AccountStore(db_).find("alice")->ha1Md5, before);
  o.user = "nobody";
  EXPECT_EQ(run(o), 1);
}

TEST_F(AccountCommandTest, ListDisableAndJsonWithoutHashes) {
  AccountCommandOptions o;
  o.action = "add";
  o.user = "201";
  ASSERT_EQ(run(o, "Lantern-Orbit-58\n"), 0);
  o.action = "disable";
  ASSERT_EQ(run(o), 0);
  o.action = "list";
  o.json = true;
  ASSERT_EQ(run(o), 0);
  EXPECT_NE(out_.str().find("\"enabled\": false"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("ha1"), std::string::npos);
  o.action = "enable";
  o.json = false;
  ASSERT_EQ(run(o), 0);
  EXPECT_TRUE(db::AccountStore(db_).find("201")->enabled);
}

TEST_F(AccountCommandTest, UnlockNeedsAnAdminCodeOnceAnAdminExists) {
  AccountCommandOptions o;
  o.action = "add";
  o.user = "201";
  ASSERT_EQ(run(o, "Lantern-Orbit-58\n"), 0);
  o.action = "unlock";
  EXPECT_EQ(run(o), 0);  // no admin yet

  AccountCommandOptions admin;
  admin.action = "admin-add";
  admin.user = "alice";
  ASSERT_EQ(run(admin), 0);
  EXPECT_NE(out_.str().find("otpauth://totp/trunkguard:alice?secret="), std::string::npos);
  EXPECT_NE(out_.str().find("\u2588"), std::string::npos);  // the QR code

  EXPECT_EQ(run(o), 1);
  EXPECT_NE(err_.str().find("--totp-user"), std::string::npos);
  const std::string secret = db::AccountStore(db_).findAdmin("alice")->totpSecretHex;
  o.totpUser = "alice";
  o.totpCode = "000000" == auth::totpCode(secret, std::time(nullptr)) ? "111111" : "000000";
  EXPECT_EQ(run(o), 1);
  o.totpCode = auth::totpCode(secret, std::time(nullptr));
  EXPECT_EQ(run(o), 0) << err_.str();
  EXPECT_EQ(run(o), 1);  // the same code twice
  EXPECT_NE(err_.str().find("already used"), std::string::npos);
}

}  // namespace
}  // namespace tg::app
