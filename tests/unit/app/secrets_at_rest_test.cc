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
#include "config/config_loader.h"
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

// Issue 12 item 11: a provider password file in the clear is sealed at the gateway's start
// (in place, same mode), and the sealed file opens again on the next load, for that provider
// only.
class ProviderPasswordSealingTest : public SecretsAtRestTest {
 protected:
  std::string configYaml(const std::string& passwordFileA, const std::string& passwordFileB) {
    return "pbx:\n  listen: [ \"udp://127.0.0.1:5070\" ]\n"
           "  targets: [ { host: 127.0.0.1, port: 5080 } ]\n"
           "trunk:\n  listen: [ \"udp://127.0.0.1:5060\" ]\n  providers:\n"
           "    - name: carrier-a\n      host: 192.0.2.1\n      transport: udp\n"
           "      allow_plaintext: true\n"
           "      auth: { username: trunk-a, password_file: " +
           passwordFileA +
           " }\n"
           "    - name: carrier-b\n      host: 192.0.2.2\n      transport: udp\n"
           "      allow_plaintext: true\n"
           "      auth: { username: trunk-b, password_file: " +
           passwordFileB +
           " }\n"
           "database:\n  path: " +
           config_.database.path + "\n";
  }
  std::string writeSecret(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0640);
    return path;
  }
  static std::string contentOf(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

TEST_F(ProviderPasswordSealingTest, PlaintextFilesAreSealedAtStartAndOpenAgain) {
  const std::string a = writeSecret("carrier-a.secret", "s3cret-A\nnotes stay\n");
  const std::string b = writeSecret("carrier-b.secret", "s3cret-B");
  config::LoadResult first = config::loadConfigString(configYaml(a, b), "gw.yaml");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.config->trunk.providers[0].auth.password.reveal(), "s3cret-A");
  EXPECT_FALSE(first.config->trunk.providers[0].auth.passwordWasSealed);

  EXPECT_EQ(sealSecretsAtStart(*first.config), 0);  // creates the key
  std::vector<std::string> skipped;
  EXPECT_EQ(sealProviderPasswordsAtStart(*first.config, &skipped), 2);
  EXPECT_TRUE(skipped.empty());
  const std::string sealedA = contentOf(a);
  EXPECT_EQ(sealedA.rfind("sealed:v1:", 0), 0u) << sealedA;
  EXPECT_EQ(sealedA.find("s3cret"), std::string::npos);
  EXPECT_NE(sealedA.find("\nnotes stay\n"), std::string::npos);  // only the first line changes
  struct stat st {};
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);

  config::LoadResult again = config::loadConfigString(configYaml(a, b), "gw.yaml");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.config->trunk.providers[0].auth.password.reveal(), "s3cret-A");
  EXPECT_EQ(again.config->trunk.providers[1].auth.password.reveal(), "s3cret-B");
  EXPECT_TRUE(again.config->trunk.providers[0].auth.passwordWasSealed);
  EXPECT_EQ(sealProviderPasswordsAtStart(*again.config, &skipped), 0);  // nothing left to do

  // A sealed password copied to another provider's file does not open there.
  const std::string swapped = writeSecret("swapped.secret", sealedA);
  config::LoadResult wrong = config::loadConfigString(configYaml(a, swapped), "gw.yaml");
  EXPECT_FALSE(wrong.ok());
  bool named = false;
  for (const auto& e : wrong.errors) {
    named |= e.keyPath == "trunk.providers.carrier-b.auth" &&
             e.message.find("does not open") != std::string::npos;
    EXPECT_EQ(e.message.find("s3cret"), std::string::npos);
  }
  EXPECT_TRUE(named);
}

TEST_F(ProviderPasswordSealingTest, ASealedPasswordWithoutItsKeyIsAnError) {
  const std::string a = writeSecret("carrier-a.secret", "s3cret-A\n");
  const std::string b = writeSecret("carrier-b.secret", "s3cret-B\n");
  config::LoadResult first = config::loadConfigString(configYaml(a, b), "gw.yaml");
  ASSERT_TRUE(first.ok());
  sealSecretsAtStart(*first.config);
  ASSERT_EQ(sealProviderPasswordsAtStart(*first.config, nullptr), 2);
  std::filesystem::remove(config_.database.path + ".key");
  config::LoadResult r = config::loadConfigString(configYaml(a, b), "gw.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors[0].message.find("is sealed, and its key cannot be used"), std::string::npos)
      << r.errors[0].message;
}

}  // namespace
}  // namespace tg::app
