#include "app/account_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/account.h"
#include "auth/lockout.h"
#include "auth/totp.h"
#include "db/account_store.h"
#include "db/database.h"

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
    return runAccount(o, in, out_, err_, origin_);
  }

  // Options for an edit as root on this machine (--local-root).
  static AccountCommandOptions asRoot(const std::string& action, const std::string& user) {
    AccountCommandOptions o;
    o.action = action;
    o.user = user;
    o.admin.localRoot = true;
    return o;
  }

  // A code of `admin` that is certainly wrong now.
  std::string wrongCode(const std::string& admin) {
    const std::string secret = db::AccountStore(db_).findAdmin(admin)->totpSecretHex;
    const std::time_t now = std::time(nullptr);
    for (const char* candidate : {"000000", "111111", "222222"}) {
      bool matches = false;
      for (std::time_t t : {now - 30, now, now + 30})
        matches |= auth::totpCode(secret, t) == candidate;
      if (!matches) return candidate;
    }
    return "333333";
  }

  LocalOrigin origin_{.uid = 0, .effectiveRoot = true, .tty = "/dev/pts/4", .host = "testhost"};

  std::filesystem::path dir_;
  std::string db_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(AccountCommandTest, AddChecksThePolicyAndStoresNoPassword) {
  AccountCommandOptions o = asRoot("add", "201");
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
  AccountCommandOptions o = asRoot("add", "alice");
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
  AccountCommandOptions o = asRoot("add", "201");
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

TEST_F(AccountCommandTest, EditsWithoutAnAdminAreRefusedAndChangeNothing) {
  AccountCommandOptions o;
  o.action = "add";
  o.user = "201";
  EXPECT_EQ(run(o, "Lantern-Orbit-58\n"), kNotAuthorisedExit);
  EXPECT_NE(err_.str().find("--local-root"), std::string::npos) << err_.str();
  EXPECT_FALSE(db::AccountStore(db_).find("201").has_value());

  ASSERT_EQ(run(asRoot("add", "201"), "Lantern-Orbit-58\n"), 0) << err_.str();
  for (const char* action : {"passwd", "disable", "enable", "unlock"}) {
    o.action = action;
    EXPECT_EQ(run(o, "Other-Lantern-77\n"), kNotAuthorisedExit) << action;
  }
  const auto account = db::AccountStore(db_).find("201");
  EXPECT_TRUE(account->enabled);

  origin_.effectiveRoot = false;  // --local-root is for root only
  EXPECT_EQ(run(asRoot("disable", "201")), kNotAuthorisedExit);
  EXPECT_NE(err_.str().find("needs root"), std::string::npos) << err_.str();
  EXPECT_TRUE(db::AccountStore(db_).find("201")->enabled);
  EXPECT_EQ(db::AccountStore(db_).find("201")->ha1Md5, account->ha1Md5);
}

TEST_F(AccountCommandTest, FirstAdminBootstrapsThenCodesVouchAndTheLogShowsIt) {
  AccountCommandOptions admin;
  admin.action = "admin-add";
  admin.user = "alice";
  ASSERT_EQ(run(admin), 0) << err_.str();  // the first admin needs no one
  EXPECT_NE(out_.str().find("otpauth://totp/trunkguard:alice?secret="), std::string::npos);
  EXPECT_NE(out_.str().find("\u2588"), std::string::npos);  // the QR code

  admin.user = "bob";
  EXPECT_EQ(run(admin), kNotAuthorisedExit);  // the second one does
  EXPECT_NE(err_.str().find("--totp-user"), std::string::npos);
  admin.admin.totpUser = "alice";
  admin.admin.totpCode = wrongCode("alice");
  EXPECT_EQ(run(admin), kNotAuthorisedExit);
  EXPECT_FALSE(db::AccountStore(db_).findAdmin("bob").has_value());
  const std::string secret = db::AccountStore(db_).findAdmin("alice")->totpSecretHex;
  admin.admin.totpCode = auth::totpCode(secret, std::time(nullptr));
  ASSERT_EQ(run(admin), 0) << err_.str();
  EXPECT_EQ(db::AccountStore(db_).findAdmin("alice")->login.failures, 0);  // success forgets
  EXPECT_EQ(run(asRoot("add", "201"), "Lantern-Orbit-58\n"), 0);
  AccountCommandOptions unlock;
  unlock.action = "unlock";
  unlock.user = "201";
  unlock.admin = admin.admin;
  EXPECT_EQ(run(unlock), kNotAuthorisedExit);  // the same code twice
  EXPECT_NE(err_.str().find("already used"), std::string::npos);

  AccountCommandOptions log;
  log.action = "admin-log";
  ASSERT_EQ(run(log), 0) << err_.str();
  const std::string text = out_.str();
  EXPECT_NE(text.find("bootstrap"), std::string::npos) << text;
  EXPECT_NE(text.find("refused: wrong, expired or reused code"), std::string::npos) << text;
  EXPECT_NE(text.find("uid 0 /dev/pts/4 testhost"), std::string::npos) << text;
  log.json = true;
  ASSERT_EQ(run(log), 0);
  const std::string json = out_.str();
  // Newest first: the reused code, root's add, alice adding bob, the wrong code, ...
  const size_t reused = json.find("\"action\": \"account unlock 201\"");
  const size_t vouched = json.find(
      "\"actor\": \"alice\",\n    \"action\": \"admin add bob\",\n    \"result\": \"ok\"");
  const size_t first = json.find("\"actor\": \"bootstrap\"");
  ASSERT_NE(reused, std::string::npos) << json;
  ASSERT_NE(vouched, std::string::npos) << json;
  ASSERT_NE(first, std::string::npos) << json;
  EXPECT_LT(reused, vouched);
  EXPECT_LT(vouched, first);
}

TEST_F(AccountCommandTest, VerifyCountsAsAnAdminLogin) {
  AccountCommandOptions admin;
  admin.action = "admin-add";
  admin.user = "alice";
  ASSERT_EQ(run(admin), 0) << err_.str();
  AccountCommandOptions verify;
  verify.action = "admin-verify";
  verify.user = "alice";
  verify.code = wrongCode("alice");
  EXPECT_EQ(run(verify), 1);
  EXPECT_EQ(db::AccountStore(db_).findAdmin("alice")->login.failures, 1);
  verify.code =
      auth::totpCode(db::AccountStore(db_).findAdmin("alice")->totpSecretHex, std::time(nullptr));
  EXPECT_EQ(run(verify), 0) << err_.str();
  EXPECT_NE(out_.str().find("code accepted for alice"), std::string::npos);
  EXPECT_EQ(db::AccountStore(db_).findAdmin("alice")->login.failures, 0);
}

TEST_F(AccountCommandTest, FailedAdminCodesLockTheAdmin) {
  AccountCommandOptions admin;
  admin.action = "admin-add";
  admin.user = "alice";
  ASSERT_EQ(run(admin), 0) << err_.str();
  ASSERT_EQ(run(asRoot("add", "201"), "Lantern-Orbit-58\n"), 0);
  AccountCommandOptions o;
  o.action = "disable";
  o.user = "201";
  o.admin.totpUser = "alice";
  o.admin.totpCode = wrongCode("alice");
  const int failures = auth::LockoutPolicy{}.failures;  // accounts.lockout.failures' default
  for (int i = 0; i < failures; ++i) EXPECT_EQ(run(o), kNotAuthorisedExit);
  const auto locked = db::AccountStore(db_).findAdmin("alice");
  EXPECT_GT(locked->login.lockedUntilMs, db::toEpochMillis(std::chrono::system_clock::now()));
  EXPECT_EQ(locked->login.lockCount, 1);

  const std::string secret = locked->totpSecretHex;
  o.admin.totpCode = auth::totpCode(secret, std::time(nullptr));
  EXPECT_EQ(run(o), kNotAuthorisedExit);  // the right code, but locked: same answer
  EXPECT_NE(err_.str().find("not accepted"), std::string::npos);
  AccountCommandOptions verify;  // nor can `admin verify` be used to go on guessing
  verify.action = "admin-verify";
  verify.user = "alice";
  verify.code = o.admin.totpCode;
  EXPECT_EQ(run(verify), 1);
  EXPECT_TRUE(db::AccountStore(db_).find("201")->enabled);
  AccountCommandOptions log;
  log.action = "admin-log";
  ASSERT_EQ(run(log), 0);
  EXPECT_NE(out_.str().find("refused: admin locked until"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("admin locked for 900s"), std::string::npos) << out_.str();
}

}  // namespace
}  // namespace tg::app
