#include "base/sealed_secret.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tg::base {
namespace {

class SealedSecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-seal-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    keyPath_ = (dir_ / "secrets.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static SealingKey keyOf(unsigned char fill) {
    std::array<unsigned char, SealingKey::kBytes> bytes{};
    bytes.fill(fill);
    return SealingKey::fromBytes(bytes);
  }

  std::filesystem::path dir_;
  std::string keyPath_;
};

TEST_F(SealedSecretTest, RoundTripsAndNeverShowsThePlaintext) {
  const SealingKey key = keyOf(7);
  const std::string sealed = seal(key, "3132333435363738393031323334353637383930", "admin alice");
  ASSERT_TRUE(isSealed(sealed));
  EXPECT_EQ(sealed.find("3132333435"), std::string::npos);
  std::string error;
  EXPECT_EQ(unseal(key, sealed, "admin alice", &error),
            std::optional<std::string>("3132333435363738393031323334353637383930"))
      << error;
  EXPECT_NE(seal(key, "same", "ctx"), seal(key, "same", "ctx"));  // a fresh nonce each time
  EXPECT_EQ(unseal(key, seal(key, "", "ctx"), "ctx", &error), std::optional<std::string>(""));
}

TEST_F(SealedSecretTest, TamperingWrongKeyAndWrongContextAreRefused) {
  const SealingKey key = keyOf(7);
  std::string sealed = seal(key, "provider-password", "provider carrier-a");
  std::string error;
  EXPECT_FALSE(unseal(keyOf(8), sealed, "provider carrier-a", &error));
  EXPECT_NE(error.find("does not authenticate"), std::string::npos);
  EXPECT_FALSE(unseal(key, sealed, "provider carrier-b", &error));  // rows cannot be swapped
  for (size_t at : {kSealedPrefix.size() + 1, kSealedPrefix.size() + 30, sealed.size() - 1}) {
    std::string bad = sealed;
    bad[at] = bad[at] == '0' ? '1' : '0';
    EXPECT_FALSE(unseal(key, bad, "provider carrier-a", &error)) << at;
  }
  EXPECT_FALSE(unseal(key, sealed.substr(0, sealed.size() - 2), "provider carrier-a", &error));
  EXPECT_FALSE(unseal(key, "sealed:v1:zz", "provider carrier-a", &error));
  EXPECT_FALSE(unseal(key, "plaintext", "provider carrier-a", &error));
  EXPECT_NE(error.find("not a sealed value"), std::string::npos);
}

TEST_F(SealedSecretTest, KeyFileIsCreatedPrivateAndReloaded) {
  bool created = false;
  std::string error;
  auto key = SealingKey::loadOrCreate(keyPath_, &created, &error);
  ASSERT_TRUE(key) << error;
  EXPECT_TRUE(created);
  struct stat st {};
  ASSERT_EQ(::stat(keyPath_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string sealed = seal(*key, "totp", "ctx");
  auto again = SealingKey::loadOrCreate(keyPath_, &created, &error);
  ASSERT_TRUE(again) << error;
  EXPECT_FALSE(created);
  EXPECT_EQ(unseal(*again, sealed, "ctx", &error), std::optional<std::string>("totp"));
}

TEST_F(SealedSecretTest, KeyFilesOthersCanReadOrMalformedAreRefused) {
  std::string error;
  EXPECT_FALSE(SealingKey::load(keyPath_, &error));  // missing
  EXPECT_NE(error.find(keyPath_), std::string::npos);
  std::ofstream(keyPath_) << std::string(64, 'a') << "\n";
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    ::chmod(keyPath_.c_str(), mode);
    EXPECT_FALSE(SealingKey::load(keyPath_, &error)) << std::oct << mode;
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
  }
  ::chmod(keyPath_.c_str(), 0600);
  EXPECT_TRUE(SealingKey::load(keyPath_, &error)) << error;
  bool created = true;
  EXPECT_TRUE(SealingKey::loadOrCreate(keyPath_, &created, &error));
  EXPECT_FALSE(created);  // never replaces an existing key
  std::ofstream(keyPath_) << "not hex\n";
  EXPECT_FALSE(SealingKey::load(keyPath_, &error));
  EXPECT_NE(error.find("64 hex characters"), std::string::npos);
  EXPECT_FALSE(SealingKey::load(dir_.string(), &error));  // a directory
  EXPECT_NE(error.find("not a regular file"), std::string::npos);
}

TEST_F(SealedSecretTest, SecretFilesMayBeGroupReadableButNotWorldReadable) {
  const std::string secret = (dir_ / "password").string();
  std::ofstream(secret) << "x\n";
  ::chmod(secret.c_str(), 0640);
  EXPECT_EQ(filePermissionProblem(secret, true), "");
  EXPECT_NE(filePermissionProblem(secret, false), "");
  ::chmod(secret.c_str(), 0644);
  EXPECT_NE(filePermissionProblem(secret, true).find("everyone"), std::string::npos);
}

}  // namespace
}  // namespace tg::base
