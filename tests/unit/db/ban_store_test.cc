#include "db/ban_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "db/database.h"

namespace tg::db {
namespace {

class BanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-bans-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static BanRecord ban(std::string network, std::optional<int64_t> expiresMs) {
    BanRecord r;
    r.network = std::move(network);
    r.origin = "auto";
    r.rule = "scanner.user_agent";
    r.reason = "friendly-scanner";
    r.createdMs = 1000;
    r.expiresMs = expiresMs;
    return r;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(BanStoreTest, UpsertLoadAndRemove) {
  BanStore store(path_);
  EXPECT_EQ(store.upsert(ban("203.0.113.9/32", 5000)), "");
  EXPECT_EQ(store.upsert(ban("198.51.100.0/24", std::nullopt)), "");
  EXPECT_EQ(store.upsert(ban("192.0.2.1/32", 2000)), "");
  auto active = store.loadActive(3000);
  ASSERT_EQ(active.size(), 2u);  // 192.0.2.1 ended at 2000
  EXPECT_EQ(active[0].network, "198.51.100.0/24");
  EXPECT_FALSE(active[0].expiresMs.has_value());
  EXPECT_EQ(active[1].network, "203.0.113.9/32");
  EXPECT_EQ(active[1].expiresMs, 5000);
  EXPECT_EQ(active[1].rule, "scanner.user_agent");

  BanRecord longer = ban("203.0.113.9/32", 9000);
  longer.offences = 2;
  EXPECT_EQ(store.upsert(longer), "");  // same network: replaced, not duplicated
  EXPECT_EQ(store.loadActive(3000).size(), 2u);
  EXPECT_EQ(store.find("203.0.113.9/32")->expiresMs, 9000);
  EXPECT_EQ(store.find("203.0.113.9/32")->offences, 2);

  bool removed = false;
  EXPECT_EQ(store.remove("203.0.113.9/32", &removed), "");
  EXPECT_TRUE(removed);
  EXPECT_EQ(store.remove("203.0.113.9/32", &removed), "");
  EXPECT_FALSE(removed);
  EXPECT_FALSE(store.find("203.0.113.9/32").has_value());
}

TEST_F(BanStoreTest, ApplyWritesBansAndOffencesInOneTransaction) {
  BanStore store(path_);
  std::vector<BanWrite> writes(3);
  writes[0].ban = ban("203.0.113.9/32", 5000);
  writes[0].offence = OffenceRecord{"203.0.113.9/32", 3, 5000};
  writes[1].ban = ban("203.0.113.10/32", 5000);
  writes[2].kind = BanWrite::Kind::kRemove;
  writes[2].ban.network = "203.0.113.10/32";
  EXPECT_EQ(store.apply(writes), "");
  const auto active = store.loadActive(0);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].network, "203.0.113.9/32");
  const auto offences = store.loadOffences();
  ASSERT_EQ(offences.size(), 1u);
  EXPECT_EQ(offences[0].offences, 3);
  EXPECT_EQ(offences[0].lastMs, 5000);
}

TEST_F(BanStoreTest, PruneDropsEndedBansAndForgottenOffences) {
  BanStore store(path_);
  store.upsert(ban("203.0.113.1/32", 1500));
  store.upsert(ban("203.0.113.2/32", 5000));
  store.upsert(ban("203.0.113.3/32", std::nullopt));
  store.upsertOffence({"203.0.113.1/32", 1, 1500});
  store.upsertOffence({"203.0.113.2/32", 4, 5000});
  int64_t pruned = 0;
  EXPECT_EQ(store.prune(2000, 3000, &pruned), "");
  EXPECT_EQ(pruned, 1);
  EXPECT_FALSE(store.find("203.0.113.1/32").has_value());
  EXPECT_TRUE(store.find("203.0.113.3/32").has_value());  // permanent
  const auto offences = store.loadOffences();
  ASSERT_EQ(offences.size(), 1u);
  EXPECT_EQ(offences[0].network, "203.0.113.2/32");
}

TEST_F(BanStoreTest, SurvivesReopen) {
  {
    BanStore store(path_);
    store.upsert(ban("203.0.113.9/32", 5000));
    store.upsertOffence({"203.0.113.9/32", 2, 5000});
  }
  BanStore reopened(path_);
  ASSERT_EQ(reopened.loadActive(4000).size(), 1u);
  EXPECT_TRUE(reopened.loadActive(5000).empty());  // expiry is exclusive
  ASSERT_EQ(reopened.loadOffences().size(), 1u);
}

TEST_F(BanStoreTest, NoticesChangesFromAnotherConnection) {
  BanStore gateway(path_);
  EXPECT_FALSE(gateway.changedSinceLastCheck());  // the baseline
  gateway.upsert(ban("203.0.113.1/32", 5000));
  EXPECT_FALSE(gateway.changedSinceLastCheck());  // our own write
  {
    BanStore other(path_);  // another connection writing without an edit note (events, CDRs)
    other.upsert(ban("203.0.113.3/32", 5000));
  }
  EXPECT_FALSE(gateway.changedSinceLastCheck());
  {
    BanStore cli(path_);  // what `trunkguard ban add` does
    cli.upsert(ban("203.0.113.2/32", 5000));
    EXPECT_EQ(cli.noteEdited(), "");
  }
  EXPECT_TRUE(gateway.changedSinceLastCheck());
  EXPECT_FALSE(gateway.changedSinceLastCheck());
  EXPECT_EQ(gateway.loadActive(0).size(), 3u);
}

}  // namespace
}  // namespace tg::db
