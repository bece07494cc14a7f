#include "db/backup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "db/database.h"

namespace tg::db {
namespace {

namespace fs = std::filesystem;

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("tg-backup-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    live_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A gateway's database with `rows` rows in a test table.
  void makeLive(int rows) {
    Database db(live_);
    ASSERT_EQ(db.exec("CREATE TABLE t (batch INTEGER, n INTEGER)"), "");
    for (int i = 0; i < rows; ++i) {
      ASSERT_EQ(db.exec("INSERT INTO t VALUES (0, " + std::to_string(i) + ")"), "");
    }
  }
  static int64_t count(const std::string& path, const std::string& sql = "SELECT count(*) FROM t") {
    Database db(path, {.access = Access::kReadOnly});
    Statement s = db.prepare(sql);
    EXPECT_EQ(s.step(), Statement::Step::kRow);
    return s.columnInt64(0);
  }

  fs::path dir_;
  std::string live_;
};

TEST_F(BackupTest, CopiesTheDatabaseIntoOneNewFile) {
  makeLive(5);
  const std::string copy = (dir_ / "copy.db").string();
  ASSERT_EQ(backupDatabase(live_, copy), "");
  EXPECT_EQ(count(copy), 5);
  EXPECT_FALSE(fs::exists(copy + "-wal"));  // one file to keep and move, not a WAL pair
  EXPECT_FALSE(fs::exists(copy + ".partial"));
  Database db(copy, {.access = Access::kReadOnly});
  EXPECT_EQ(db.schemaVersion(), migrations().back().version);
}

TEST_F(BackupTest, NeverOverwritesAndSaysWhatIsMissing) {
  makeLive(1);
  const std::string copy = (dir_ / "copy.db").string();
  ASSERT_EQ(backupDatabase(live_, copy), "");
  EXPECT_NE(backupDatabase(live_, copy).find("already exists"), std::string::npos);
  EXPECT_NE(
      backupDatabase((dir_ / "none.db").string(), (dir_ / "x.db").string()).find("no database"),
      std::string::npos);
  EXPECT_NE(backupDatabase(live_, (dir_ / "no-folder" / "x.db").string()).find("create"),
            std::string::npos);
}

// Batches of 10 rows commit while the backup runs: the copy holds whole batches only.
TEST_F(BackupTest, ABackupWhileTheGatewayWritesIsOneSnapshot) {
  makeLive(0);
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  std::thread writer([&] {
    Database db(live_);
    for (int b = 1; !stop.load(); ++b) {
      Transaction tx(db);
      ASSERT_TRUE(tx.ok()) << tx.error();
      for (int i = 0; i < 10; ++i) {
        ASSERT_EQ(
            db.exec("INSERT INTO t VALUES (" + std::to_string(b) + ", " + std::to_string(i) + ")"),
            "");
      }
      ASSERT_EQ(tx.commit(), "");
      batches.store(b);
    }
  });
  while (batches.load() < 20) std::this_thread::yield();
  const std::string copy = (dir_ / "copy.db").string();
  const std::string result = backupDatabase(live_, copy);
  stop.store(true);
  writer.join();
  ASSERT_EQ(result, "");
  const int64_t rows = count(copy);
  EXPECT_GE(rows, 200);
  EXPECT_EQ(rows % 10, 0) << "a batch was copied half-committed";
  EXPECT_EQ(count(copy,
                  "SELECT count(*) FROM (SELECT batch FROM t GROUP BY batch HAVING "
                  "count(*) != 10)"),
            0);
}

TEST_F(BackupTest, RestoreRefusesWhileTheGatewayHasTheDatabaseOpen) {
  makeLive(3);
  const std::string copy = (dir_ / "copy.db").string();
  ASSERT_EQ(backupDatabase(live_, copy), "");
  {
    Database running(live_);  // the gateway's connection, idle but open
    running.exec("INSERT INTO t VALUES (9, 9)");
    const std::string refused = restoreDatabase(copy, live_);
    EXPECT_NE(refused.find("in use"), std::string::npos) << refused;
    EXPECT_NE(refused.find("stop it first"), std::string::npos) << refused;
  }
  EXPECT_EQ(count(live_), 4);  // nothing changed
}

TEST_F(BackupTest, RestoreReplacesTheDatabaseOnceTheGatewayIsStopped) {
  makeLive(3);
  const std::string copy = (dir_ / "copy.db").string();
  ASSERT_EQ(backupDatabase(live_, copy), "");
  {
    Database db(live_);
    ASSERT_EQ(db.exec("DELETE FROM t"), "");
  }
  const auto inode = fs::status(live_).permissions();
  ASSERT_EQ(restoreDatabase(copy, live_), "");
  EXPECT_EQ(count(live_), 3);
  EXPECT_EQ(fs::status(live_).permissions(), inode);
  Database reopened(live_);  // as the gateway would: WAL, migrations, all well
  EXPECT_EQ(reopened.schemaVersion(), migrations().back().version);

  const std::string fresh = (dir_ / "fresh.db").string();  // restoring onto a new machine
  ASSERT_EQ(restoreDatabase(copy, fresh), "");
  EXPECT_EQ(count(fresh), 3);
}

TEST_F(BackupTest, RestoreRefusesWhatIsNotAGoodTrunkguardBackup) {
  makeLive(1);
  const std::string notOurs = (dir_ / "other.db").string();
  {
    Database other(notOurs);
    ASSERT_EQ(other.exec("DROP TABLE schema_migrations"), "");
  }
  EXPECT_NE(restoreDatabase(notOurs, live_).find("not a trunkguard database"), std::string::npos);

  const std::string newer = (dir_ / "newer.db").string();
  {
    Database db(newer);
    ASSERT_EQ(db.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (99999, 'x')"),
              "");
  }
  EXPECT_NE(restoreDatabase(newer, live_).find("newer than this trunkguard"), std::string::npos);

  const std::string garbage = (dir_ / "garbage.db").string();
  {
    std::FILE* f = std::fopen(garbage.c_str(), "w");
    std::fputs("this is not a database, just text that is long enough to look like one", f);
    std::fclose(f);
  }
  EXPECT_FALSE(restoreDatabase(garbage, live_).empty());
  EXPECT_NE(restoreDatabase((dir_ / "none.db").string(), live_).find("no such file"),
            std::string::npos);
  EXPECT_EQ(count(live_), 1);
}

}  // namespace
}  // namespace tg::db
