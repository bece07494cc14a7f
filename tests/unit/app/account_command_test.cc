#include "app/account_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/account.h"
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

// Issue 12 item 13: `account list` names passwords inside warn_days of max_age_days.
TEST_F(AccountCommandTest, ListShowsPasswordsCloseToExpiry) {
  const std::filesystem::path config = dir_ / "tg.yaml";
  std::ofstream(config) << "pbx:\n  listen: [ \"udp://127.0.0.1:5070\" ]\n"
                           "  targets: [ { host: 127.0.0.1, port: 5080 } ]\n"
                           "trunk:\n  listen: [ \"udp://127.0.0.1:5060\" ]\n"
                           "  providers:\n"
                           "    - { name: a, host: 192.0.2.1, transport: udp, "
                           "allow_plaintext: true }\n"
                           "accounts:\n  password: { max_age_days: 90, warn_days: 14 }\n"
                           "database: { path: "
                        << db_ << " }\n";
  const int64_t nowMs = static_cast<int64_t>(std::time(nullptr)) * 1000;
  const int64_t dayMs = 24LL * 3600 * 1000;
  {
    db::AccountStore store(db_);
    const int64_t changed = nowMs - 80 * dayMs - dayMs / 2;  // 9.5 days left
    ASSERT_EQ(store.add(auth::hashPassword("201", "trunkguard", "x", changed)), "");
    ASSERT_EQ(store.add(auth::hashPassword("202", "trunkguard", "x", nowMs - dayMs)), "");
    ASSERT_EQ(store.add(auth::hashPassword("203", "trunkguard", "x", nowMs - 91 * dayMs)), "");
  }
  AccountCommandOptions o;
  o.action = "list";
  o.configPath = config.string();
  o.dbPath = "";
  std::istringstream in;
  ASSERT_EQ(runAccount(o, in, out_, err_), 0) << err_.str();
  const std::string text = out_.str();
  EXPECT_NE(text.find("expires in 9d"), std::string::npos) << text;
  EXPECT_NE(text.find("expired"), std::string::npos) << text;
  EXPECT_EQ(text.find("expires in 88d"), std::string::npos) << text;  // outside warn_days
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
