#include "guard/ban/ban_sync.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "db/ban_store.h"

namespace tg::guard {
namespace {

using namespace std::chrono_literals;

base::Address ip(const char* text) { return *base::Address::parse(text, 5060); }

class BanSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-bansync-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_.database.path = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  config::Config config_;
  base::ManualClock clock_;
};

TEST_F(BanSyncTest, WritesBansBackAndRestoresThemAfterARestart) {
  {
    BanList bans(clock_);
    BanSync sync(bans, config_, clock_);
    ASSERT_TRUE(
        bans.ban(ip("203.0.113.9"), "scanner", "x", BanOrigin::kAuto, clock_.now()).banned());
    sync.syncNow(false);
  }
  BanList bans(clock_);
  BanSync sync(bans, config_, clock_);
  EXPECT_TRUE(bans.isBanned(ip("203.0.113.9"), clock_.now()));
}

TEST_F(BanSyncTest, PicksUpAnotherProcesssEdit) {
  BanList bans(clock_);
  BanSync sync(bans, config_, clock_);
  {
    db::BanStore cli(config_.database.path);  // what `trunkguard ban add` does
    db::BanRecord r;
    r.network = "198.51.100.0/24";
    r.origin = "manual";
    r.rule = "manual";
    r.createdMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.wallNow().time_since_epoch())
            .count();
    ASSERT_EQ(cli.upsert(r), "");
    ASSERT_EQ(cli.noteEdited(), "");
  }
  EXPECT_FALSE(bans.isBanned(ip("198.51.100.7"), clock_.now()));
  sync.syncNow(false);
  EXPECT_TRUE(bans.isBanned(ip("198.51.100.7"), clock_.now()));
}

TEST_F(BanSyncTest, BlocklistFilesAreImportedAndDroppedOnReload) {
  const std::string file = (dir_ / "feed.txt").string();
  std::ofstream(file) << "192.0.2.0/24\n";
  config_.guard.bans.blocklistFiles = {file};
  BanList bans(clock_);
  BanSync sync(bans, config_, clock_);
  EXPECT_TRUE(bans.isBanned(ip("192.0.2.50"), clock_.now()));
  config_.guard.bans.blocklistFiles.clear();
  sync.reload(config_);
  EXPECT_FALSE(bans.isBanned(ip("192.0.2.50"), clock_.now()));
}

TEST_F(BanSyncTest, TrustIsAppliedFromTheConfig) {
  config_.guard.trusted = {
      config::Cidr{*base::Address::parse("203.0.113.0", 0), 24, "203.0.113.0/24"}};
  BanList bans(clock_);
  BanSync sync(bans, config_, clock_);
  EXPECT_TRUE(bans.isTrusted(ip("203.0.113.4")));
  EXPECT_EQ(bans.ban(ip("203.0.113.4"), "scanner", "x", BanOrigin::kAuto, clock_.now()).outcome,
            BanResult::Outcome::kTrusted);
}

}  // namespace
}  // namespace tg::guard
