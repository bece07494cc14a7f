// The admin API's token table: add, unique names, find by id, revoke by id or name once.

#include "db/token_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace tg::db {
namespace {

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-tokens-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    store_ = std::make_unique<TokenStore>((dir_ / "t.db").string());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<TokenStore> store_;
};

TEST_F(TokenStoreTest, AddsFindsAndRevokes) {
  ASSERT_EQ(store_->add({"00aa", "grafana", "viewer", "f00d", "alice", 1000, 0}), "");
  ASSERT_EQ(store_->add({"00bb", "ci", "admin", "beef", "root", 2000, 0}), "");
  bool exists = false;
  EXPECT_NE(store_->add({"00cc", "ci", "viewer", "x", "root", 3000, 0}, &exists), "");
  EXPECT_TRUE(exists);

  const auto found = store_->find("00aa");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "grafana");
  EXPECT_EQ(found->secretSha256, "f00d");
  EXPECT_FALSE(found->revoked());
  EXPECT_FALSE(store_->find("ffff"));

  bool revoked = false;
  EXPECT_EQ(store_->revoke("ci", 5000, &revoked), "");
  EXPECT_TRUE(revoked);
  EXPECT_EQ(store_->revoke("00bb", 6000, &revoked), "");
  EXPECT_FALSE(revoked);  // already revoked
  EXPECT_EQ(store_->find("00bb")->revokedMs, 5000);

  const auto all = store_->list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "ci");
  EXPECT_TRUE(all[0].revoked());
}

}  // namespace
}  // namespace tg::db
