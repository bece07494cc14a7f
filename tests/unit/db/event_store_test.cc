#include "db/event_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace tg::db {
namespace {

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-events-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static SecurityEventRecord event(int64_t ms, std::string rule) {
    return {ms, "public", "203.0.113.9:5060", std::move(rule), "seen", "drop", "OPTIONS sip:x"};
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(EventStoreTest, RecordsAndReadsNewestFirst) {
  EventStore store(path_);
  store.record(event(1000, "scanner.user_agent"));
  store.record(event(3000, "ratelimit.invite"));
  store.record(event(2000, "acl.deny"));
  const auto recent = store.recent(2);
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].rule, "ratelimit.invite");
  EXPECT_EQ(recent[1].rule, "acl.deny");
  EXPECT_EQ(recent[0].zone, "public");
  EXPECT_EQ(recent[0].sample, "OPTIONS sip:x");
  EXPECT_EQ(store.droppedWrites(), 0u);
  EXPECT_EQ(store.failedWrites(), 0u);
}

TEST_F(EventStoreTest, PrunesByRetention) {
  EventStore store(path_);
  for (int i = 0; i < 10; ++i) store.record(event(i * 1000, "acl.deny"));
  store.pruneOlderThan(5000);
  store.flush();
  EXPECT_EQ(store.prunedEvents(), 5u);
  const auto recent = store.recent(100);
  ASSERT_EQ(recent.size(), 5u);
  EXPECT_EQ(recent.back().timeMs, 5000);
}

TEST_F(EventStoreTest, FullQueueDropsAndCounts) {
  EventStore store(path_, 1);
  for (int i = 0; i < 2000; ++i) store.record(event(i, "acl.deny"));
  store.flush();
  EXPECT_GT(store.droppedWrites(), 0u);
  EXPECT_EQ(store.recent(5000).size() + store.droppedWrites(), 2000u);
}

TEST_F(EventStoreTest, ReadOnlyReaderForTheCli) {
  EXPECT_THROW(readRecentEvents(path_, 10), std::runtime_error);  // no file: never created
  {
    EventStore store(path_);
    store.record(event(1000, "scanner.user_agent"));
  }
  const auto recent = readRecentEvents(path_, 10);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].rule, "scanner.user_agent");
}

}  // namespace
}  // namespace tg::db
