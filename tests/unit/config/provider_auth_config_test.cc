#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/log.h"
#include "base/sealed_secret.h"
#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

constexpr const char* kSecret = "Tr0ub4dor&3-provider";

// A provider whose `auth:` starts on line 12 (its keys on line 13 onwards).
std::string withAuth(const std::string& auth) {
  return R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - name: carrier-a
      host: 192.0.2.1
      port: 5060
      transport: udp
      allow_plaintext: true
      auth:
)" + auth;
}

bool mentions(const LoadResult& r, const std::string& text) {
  for (const auto& e : r.errors) {
    if (e.toString().find(text) != std::string::npos) return true;
  }
  for (const auto& w : r.warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

class ProviderAuthConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tg-auth-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ::unsetenv("TG_TEST_PROVIDER_SECRET");
    ::unsetenv("CREDENTIALS_DIRECTORY");
  }
  std::string secretFile(const std::string& content, mode_t mode = 0600) {
    const std::string path = (dir_ / "carrier.secret").string();
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  LoadResult load(const std::string& auth) { return loadConfigString(withAuth(auth), "test.yaml"); }
  std::filesystem::path dir_;
};

TEST_F(ProviderAuthConfig, AbsentMeansIpAuthenticated) {
  const LoadResult r = loadConfigString(R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers: [ { name: a, host: 192.0.2.1, transport: udp, allow_plaintext: true } ]
)",
                                        "t.yaml");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_FALSE(r.config->trunk.providers[0].auth.enabled);
  EXPECT_FALSE(r.config->trunk.providers[0].auth.registerEnabled);
}

TEST_F(ProviderAuthConfig, PasswordFromFileFirstLine) {
  const std::string file = secretFile(std::string(kSecret) + "\nsecond line ignored\n");
  const LoadResult r = load("        username: trunk1\n        password_file: " + file +
                            "\n        register: true\n        realm: carrier.example\n"
                            "        expires_s: 600\n"
                            "        registrar: reg.carrier.example:5070\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const ProviderAuth& a = r.config->trunk.providers[0].auth;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.username, "trunk1");
  EXPECT_EQ(a.password.reveal(), kSecret);
  EXPECT_EQ(a.passwordSource, "file " + file);
  EXPECT_EQ(a.realm, "carrier.example");
  EXPECT_TRUE(a.registerEnabled);
  EXPECT_EQ(a.expires, std::chrono::seconds(600));
  EXPECT_EQ(a.registrarHost, "reg.carrier.example");
  EXPECT_EQ(a.registrarPort, 5070);
  EXPECT_FALSE(mentions(r, "password")) << dump(r);  // mode 600: no warning about the file
}

TEST_F(ProviderAuthConfig, Defaults) {
  const std::string file = secretFile(kSecret);
  const LoadResult r = load("        username: trunk1\n        password_file: " + file + "\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const ProviderAuth& a = r.config->trunk.providers[0].auth;
  EXPECT_FALSE(a.registerEnabled);
  EXPECT_EQ(a.expires, std::chrono::seconds(3600));
  EXPECT_TRUE(a.realm.empty());
  EXPECT_TRUE(a.registrarHost.empty());
}

TEST_F(ProviderAuthConfig, CrlfLineEndingIsNotPartOfThePassword) {
  const std::string file = secretFile(std::string(kSecret) + "\r\n");
  const LoadResult r = load("        username: u\n        password_file: " + file + "\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->trunk.providers[0].auth.password.reveal(), kSecret);
}

TEST_F(ProviderAuthConfig, RelativeFileIsRelativeToTheConfig) {
  secretFile(kSecret);
  const std::string configPath = (dir_ / "trunkguard.yaml").string();
  std::ofstream(configPath) << withAuth(
      "        username: u\n        password_file: carrier.secret\n");
  const LoadResult r = loadConfigFile(configPath);
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->trunk.providers[0].auth.password.reveal(), kSecret);
}

TEST_F(ProviderAuthConfig, ReadableByItsGroupIsAWarning) {
  const std::string file = secretFile(kSecret, 0640);
  const LoadResult r = load("        username: u\n        password_file: " + file + "\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  ASSERT_TRUE(mentions(r, "chmod 600")) << dump(r);
  EXPECT_FALSE(mentions(r, kSecret));
}

// Issue 12 item 11: a provider password every local user can read is refused, not warned.
TEST_F(ProviderAuthConfig, WorldReadableIsRefused) {
  const std::string file = secretFile(kSecret, 0644);
  const LoadResult r = load("        username: u\n        password_file: " + file + "\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 14, "trunk.providers[0].auth.password_file", "readable by every user"));
  EXPECT_TRUE(hasError(r, 14, "trunk.providers[0].auth.password_file", "chmod o-rwx"));
  EXPECT_FALSE(mentions(r, kSecret));
}

TEST_F(ProviderAuthConfig, SystemdCredentialIsReadFromTheCredentialsDirectory) {
  std::ofstream((dir_ / "carrier-a").string()) << kSecret << "\n";
  ::chmod((dir_ / "carrier-a").c_str(), 0600);
  ::setenv("CREDENTIALS_DIRECTORY", dir_.c_str(), 1);
  const LoadResult r = load("        username: u\n        password_file: credential:carrier-a\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->trunk.providers[0].auth.password.reveal(), kSecret);
  const LoadResult escape = load("        username: u\n        password_file: credential:../x\n");
  EXPECT_TRUE(hasError(escape, 14, "trunk.providers[0].auth.password_file", "file name"));
  ::unsetenv("CREDENTIALS_DIRECTORY");
  const LoadResult unset =
      load("        username: u\n        password_file: credential:carrier-a\n");
  EXPECT_TRUE(
      hasError(unset, 14, "trunk.providers[0].auth.password_file", "CREDENTIALS_DIRECTORY"));
}

TEST_F(ProviderAuthConfig, DatabaseKeyFileMustBePrivate) {
  const std::string key = (dir_ / "secrets.key").string();
  const std::string yaml =
      withAuth("        username: u\n        password_file: " + secretFile(kSecret) + "\n") +
      "database:\n  path: gw.db\n  key_file: " + key + "\n";
  LoadResult r = loadConfigString(yaml, "test.yaml");  // missing: created at the first start
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->database.sealingKeyPath(), key);
  std::ofstream(key) << std::string(64, 'a') << "\n";
  ::chmod(key.c_str(), 0644);
  r = loadConfigString(yaml, "test.yaml");
  EXPECT_TRUE(hasError(r, 17, "database.key_file", "not private"));
  ::chmod(key.c_str(), 0600);
  EXPECT_TRUE(loadConfigString(yaml, "test.yaml").ok());
}

// Issue 12 item 11: a password file sealed for its provider (what the gateway writes at start,
// app/secrets_at_rest.h) opens with the database's key; for another provider, or without the
// key, it is an error naming the file and never the secret.
TEST_F(ProviderAuthConfig, SealedPasswordOpensWithTheKeyForItsProviderOnly) {
  const std::string keyPath = (dir_ / "secrets.key").string();
  std::ofstream(keyPath) << std::string(64, 'c') << "\n";
  ::chmod(keyPath.c_str(), 0600);
  std::string why;
  const auto key = base::SealingKey::load(keyPath, &why);
  ASSERT_TRUE(key) << why;
  const std::string database = "database:\n  path: gw.db\n  key_file: " + keyPath + "\n";
  auto yamlWith = [&](const std::string& fileContent) {
    return withAuth("        username: u\n        password_file: " + secretFile(fileContent) +
                    "\n") +
           database;
  };
  LoadResult r = loadConfigString(
      yamlWith(base::seal(*key, kSecret, providerPasswordContext("carrier-a")) + "\n"),
      "test.yaml");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->trunk.providers[0].auth.password.reveal(), kSecret);
  EXPECT_TRUE(r.config->trunk.providers[0].auth.passwordWasSealed);

  r = loadConfigString(
      yamlWith(base::seal(*key, kSecret, providerPasswordContext("carrier-b")) + "\n"),
      "test.yaml");
  EXPECT_TRUE(hasError(r, 14, "trunk.providers.carrier-a.auth", "does not open"));
  EXPECT_FALSE(mentions(r, kSecret));

  const std::string sealed = base::seal(*key, kSecret, providerPasswordContext("carrier-a"));
  std::filesystem::remove(keyPath);
  r = loadConfigString(yamlWith(sealed + "\n"), "test.yaml");
  EXPECT_TRUE(hasError(r, 14, "trunk.providers.carrier-a.auth", "its key cannot be used"));
}

TEST_F(ProviderAuthConfig, PasswordFromEnvironment) {
  ::setenv("TG_TEST_PROVIDER_SECRET", kSecret, 1);
  const LoadResult r = load("        username: u\n        password_env: TG_TEST_PROVIDER_SECRET\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->trunk.providers[0].auth.password.reveal(), kSecret);
  EXPECT_EQ(r.config->trunk.providers[0].auth.passwordSource, "env TG_TEST_PROVIDER_SECRET");
}

TEST_F(ProviderAuthConfig, MissingSecretsNameWhereTheyShouldBe) {
  LoadResult r = load("        username: u\n        password_env: TG_TEST_PROVIDER_SECRET\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "TG_TEST_PROVIDER_SECRET is not set")) << dump(r);

  const std::string missing = (dir_ / "nope.secret").string();
  r = load("        username: u\n        password_file: " + missing + "\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, missing)) << dump(r);

  r = load("        username: u\n        password_file: " + secretFile("") + "\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "is empty")) << dump(r);

  r = load("        username: u\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "password_file")) << dump(r);
}

TEST_F(ProviderAuthConfig, FileAndEnvTogetherIsAnError) {
  ::setenv("TG_TEST_PROVIDER_SECRET", kSecret, 1);
  const LoadResult r = load("        username: u\n        password_file: " + secretFile(kSecret) +
                            "\n        password_env: TG_TEST_PROVIDER_SECRET\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "not both")) << dump(r);
}

TEST_F(ProviderAuthConfig, BadValuesAreErrorsWithLines) {
  const std::string file = secretFile(kSecret);
  const LoadResult r = load("        username: u\n        password_file: " + file +
                            "\n        expires_s: 10\n        registrar: \"bad host!\"\n"
                            "        regster: true\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "test.yaml:15: trunk.providers[0].auth.expires_s")) << dump(r);
  EXPECT_TRUE(mentions(r, "test.yaml:16: trunk.providers[0].auth.registrar")) << dump(r);
  EXPECT_TRUE(mentions(r, "did you mean 'register'")) << dump(r);
}

TEST_F(ProviderAuthConfig, MissingUsername) {
  const LoadResult r = load("        password_file: " + secretFile(kSecret) + "\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "auth.username: missing")) << dump(r);
}

// Nothing the loader says, nor anything it logs, contains the secret.
TEST_F(ProviderAuthConfig, SecretNeverInMessagesOrLogs) {
  std::ostringstream captured;
  log::Settings settings;
  settings.level = "trace";
  log::init(settings, std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  ::setenv("TG_TEST_PROVIDER_SECRET", kSecret, 1);
  const std::string file = secretFile(kSecret, 0664);
  std::vector<LoadResult> results;
  results.push_back(load("        username: u\n        password_file: " + file + "\n"));
  results.push_back(
      load("        username: u\n        password_env: TG_TEST_PROVIDER_SECRET\n"
           "        expires_s: 1\n"));
  results.push_back(load("        username: u\n        password_file: " + file +
                         "\n        password_env: TG_TEST_PROVIDER_SECRET\n"));
  log::init(log::Settings{}, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  for (const LoadResult& r : results) {
    EXPECT_FALSE(mentions(r, kSecret)) << dump(r);
  }
  EXPECT_EQ(captured.str().find(kSecret), std::string::npos) << captured.str();
}

}  // namespace
}  // namespace tg::config
