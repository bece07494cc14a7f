#include "app/secrets_at_rest.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "app/account_command.h"
#include "auth/totp.h"
#include "db/account_store.h"
#include "db/database.h"

namespace tg::app {
namespace {

class SecretsAtRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-sar-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_.database.path = (dir_ / "gw.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string rawSecret(const std::string& name) {
    db::Database db(config_.database.path);
    db::Statement s = db.prepare("SELECT totp_secret FROM admin_users WHERE name = ?1");
    s.bind(1, name);
    return s.step() == db::Statement::Step::kRow ? s.columnText(0) : std::string();
  }

  std::filesystem::path dir_;
  config::Config config_;
};

TEST_F(SecretsAtRestTest, FirstStartCreatesAPrivateKeyAndSealsPlaintextSecrets) {
  {
    db::AccountStore old(config_.database.path);
    ASSERT_EQ(old.addAdmin({"alice", auth::newTotpSecretHex(), 0, 1, {}, ""}), "");
  }
  EXPECT_EQ(sealSecretsAtStart(config_), 1);
  const std::string key = config_.database.path + ".key";
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(base::isSealed(rawSecret("alice")));
  EXPECT_EQ(sealSecretsAtStart(config_), 0);  // the second start has nothing to do

  // The CLI finds the key beside the database and vouches with the sealed secret.
  db::AccountStore store(config_.database.path);
  std::ostringstream err;
  ASSERT_TRUE(useSealingKey(store, sealingKeyPath(nullptr, config_.database.path), err));
  const std::string secret = store.findAdmin("alice")->totpSecretHex;
  ASSERT_EQ(secret.size(), 40u);
  AccountCommandOptions o;
  o.action = "admin-add";
  o.user = "bob";
  o.dbPath = config_.database.path;
  o.admin.totpUser = "alice";
  o.admin.totpCode = auth::totpCode(secret, std::time(nullptr));
  std::istringstream in;
  std::ostringstream out;
  const LocalOrigin origin{.uid = 0, .effectiveRoot = false, .tty = "-", .host = "t"};
  EXPECT_EQ(runAccount(o, in, out, err, origin), 0) << err.str();
  EXPECT_TRUE(base::isSealed(rawSecret("bob")));  // new admins are sealed from the start
}

TEST_F(SecretsAtRestTest, AKeyOthersCanReadStopsTheStartAndTheCli) {
  const std::string key = config_.database.path + ".key";
  std::ofstream(key) << std::string(64, 'b') << "\n";
  ::chmod(key.c_str(), 0644);
  try {
    sealSecretsAtStart(config_);
    FAIL() << "a world-readable key must stop the start";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("database.key_file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
  db::AccountStore store(config_.database.path);
  std::ostringstream err;
  EXPECT_FALSE(useSealingKey(store, key, err));
  EXPECT_NE(err.str().find(key), std::string::npos);
}

TEST_F(SecretsAtRestTest, ConfiguredKeyPathWins) {
  config_.database.keyFile = (dir_ / "elsewhere.key").string();
  EXPECT_EQ(sealingKeyPath(&config_, config_.database.path), config_.database.keyFile);
  EXPECT_EQ(sealingKeyPath(nullptr, "/var/lib/tg/gw.db"), "/var/lib/tg/gw.db.key");
  EXPECT_EQ(sealSecretsAtStart(config_), 0);
  EXPECT_TRUE(std::filesystem::exists(config_.database.keyFile));
}

}  // namespace
}  // namespace tg::app
