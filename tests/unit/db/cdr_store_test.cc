#include "db/cdr_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "db/database.h"

namespace tg::db {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// 2026-11-27T13:45:01.123456Z: the microseconds show that storage keeps milliseconds.
const base::SystemTime kStart =
    sys_days{year{2026} / November / 27} + 13h + 45min + 1s + 123ms + 456us;

// Appends rather than `"c" + std::to_string(i)`, which trips GCC 12's -Wrestrict false positive
// at -O3 (GCC bug 105651).
std::string uuid(std::string prefix, int i) { return prefix.append(std::to_string(i)); }

class CdrStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-db-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "trunkguard.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static CdrRecord call(const std::string& uuid, base::SystemTime start) {
    CdrRecord r;
    r.callUuid = uuid;
    r.direction = "outbound";
    r.aCallId = "a-" + uuid + "@pbx";
    r.aFromTag = "af";
    r.aToTag = "";
    r.bCallId = "b-" + uuid;
    r.bFromTag = "bf";
    r.provider = "carrier1";
    r.fromUri = "sip:100@pbx.example";
    r.toUri = "sip:+4930123456@carrier1.example";
    r.sourceAddress = "10.0.0.5:5060";
    r.startTime = start;
    r.disposition = "in-progress";
    return r;
  }

  // Rows as another connection sees them: proves the data reached the file.
  int64_t countRows() {
    Database db(path_, DatabaseOptions{.access = Access::kReadOnly});
    Statement s = db.prepare("SELECT count(*) FROM cdrs");
    EXPECT_EQ(s.step(), Statement::Step::kRow);
    return s.columnInt64(0);
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CdrStoreTest, StartAnswerEndLifecycle) {
  CdrStore store(path_);
  CdrRecord r = call("c1", kStart);
  r.bToTag = "bt";
  store.recordStart(r);
  std::vector<CdrRecord> rows = store.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "in-progress");
  EXPECT_FALSE(rows[0].answerTime);
  EXPECT_FALSE(rows[0].endTime);

  store.recordAnswer("c1", kStart + 2s);
  rows = store.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "answered");
  EXPECT_EQ(rows[0].sipCode, 200);
  ASSERT_TRUE(rows[0].answerTime);
  EXPECT_EQ(*rows[0].answerTime, floor<milliseconds>(kStart + 2s));

  store.recordEnd("c1", kStart + 62s, "answered", 200, "bye-from-a", 60000);
  rows = store.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  const CdrRecord& got = rows[0];
  EXPECT_EQ(got.callUuid, "c1");
  EXPECT_EQ(got.direction, "outbound");
  EXPECT_EQ(got.aCallId, "a-c1@pbx");
  EXPECT_EQ(got.aFromTag, "af");
  EXPECT_EQ(got.aToTag, "");
  EXPECT_EQ(got.bCallId, "b-c1");
  EXPECT_EQ(got.bFromTag, "bf");
  EXPECT_EQ(got.bToTag, "bt");
  EXPECT_EQ(got.provider, "carrier1");
  EXPECT_EQ(got.fromUri, "sip:100@pbx.example");
  EXPECT_EQ(got.toUri, "sip:+4930123456@carrier1.example");
  EXPECT_EQ(got.sourceAddress, "10.0.0.5:5060");
  EXPECT_EQ(got.startTime, floor<milliseconds>(kStart));
  ASSERT_TRUE(got.endTime);
  EXPECT_EQ(*got.endTime, floor<milliseconds>(kStart + 62s));
  EXPECT_EQ(got.disposition, "answered");
  EXPECT_EQ(got.sipCode, 200);
  EXPECT_EQ(got.endReason, "bye-from-a");
  EXPECT_EQ(got.durationMs, 60000);
  EXPECT_EQ(store.droppedWrites(), 0u);
  EXPECT_EQ(store.failedWrites(), 0u);
  EXPECT_EQ(store.lastError(), "");
}

TEST_F(CdrStoreTest, PolicyFieldsAtStartAndCostAtEnd) {
  CdrStore store(path_);
  CdrRecord r = call("p1", kStart);
  r.account = "201";
  r.dialledE164 = "+447700900123";
  r.destinationClass = "mobile";
  r.policyRule = "intl-needs-code";
  store.recordStart(r);
  std::vector<CdrRecord> rows = store.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].account, "201");
  EXPECT_EQ(rows[0].dialledE164, "+447700900123");
  EXPECT_EQ(rows[0].destinationClass, "mobile");
  EXPECT_EQ(rows[0].policyRule, "intl-needs-code");
  EXPECT_EQ(rows[0].cost, 0.0);

  store.recordEnd("p1", kStart + 62s, "answered", 200, "bye-from-a", 60000, 0.125);
  rows = store.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].cost, 0.125);
  EXPECT_EQ(rows[0].policyRule, "intl-needs-code");  // the end keeps what the start wrote
  EXPECT_EQ(readRecentCdrs(path_, 1)[0].account, "201");
}

// Issue 4: whether each leg was encrypted is in the record.
TEST_F(CdrStoreTest, TransportOfEachLeg) {
  CdrStore store(path_);
  CdrRecord r = call("t1", kStart);
  r.aTransport = "udp";
  store.recordStart(r);
  store.recordLeg("t1", "carrier-a", "b-call", "b-from", "", "tls");
  store.recordLeg("t1", "carrier-a", "b-call", "b-from", "b-to");  // "" keeps the transport
  const std::vector<CdrRecord> rows = store.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].aTransport, "udp");
  EXPECT_EQ(rows[0].bTransport, "tls");
  EXPECT_EQ(rows[0].bToTag, "b-to");
}

// STIR/SHAKEN verification of an inbound call, written with the start (migration 11).
TEST_F(CdrStoreTest, IdentityVerificationAtStart) {
  CdrStore store(path_);
  CdrRecord r = call("v1", kStart);
  r.direction = "inbound";
  r.verstat = "TN-Validation-Passed";
  r.attestation = "B";
  store.recordStart(r);
  store.recordStart(call("v2", kStart + std::chrono::seconds(1)));  // none ran: ""
  const std::vector<CdrRecord> rows = store.recent(10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].verstat, "");
  EXPECT_EQ(rows[0].attestation, "");
  EXPECT_EQ(rows[1].verstat, "TN-Validation-Passed");
  EXPECT_EQ(rows[1].attestation, "B");
}

// Issue 13: what the media relay saw, written with the end.
TEST_F(CdrStoreTest, MediaCountersAndSrtpSuitesAtTheEnd) {
  CdrStore store(path_);
  store.recordStart(call("m1", kStart));
  CdrMedia media;
  media.packetsAtoB = 1500;
  media.packetsBtoA = 1498;
  media.bytesAtoB = 258000;
  media.bytesBtoA = 272636;
  media.foreignDropped = 40;
  media.unauthenticatedDropped = 2;
  media.overRateDropped = 7;
  media.payloadTypeDropped = 5;
  media.srtpB = "AES_CM_128_HMAC_SHA1_80";
  store.recordEnd("m1", kStart + 31s, "answered", 200, "bye-from-a", 30000, 0, media);
  store.flush();  // written in batches: read what reached the file, as the CLI does
  const std::vector<CdrRecord> rows = readRecentCdrs(path_, 1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].media.packetsAtoB, 1500);
  EXPECT_EQ(rows[0].media.packetsBtoA, 1498);
  EXPECT_EQ(rows[0].media.bytesAtoB, 258000);
  EXPECT_EQ(rows[0].media.bytesBtoA, 272636);
  EXPECT_EQ(rows[0].media.foreignDropped, 40);
  EXPECT_EQ(rows[0].media.unauthenticatedDropped, 2);
  EXPECT_EQ(rows[0].media.overRateDropped, 7);
  EXPECT_EQ(rows[0].media.payloadTypeDropped, 5);
  EXPECT_EQ(rows[0].media.srtpA, "");
  EXPECT_EQ(rows[0].media.srtpB, "AES_CM_128_HMAC_SHA1_80");
}

TEST_F(CdrStoreTest, StoresIsoUtcTextAndEpochMillis) {
  {
    CdrStore store(path_);
    store.recordStart(call("c1", kStart));
    store.recordEnd("c1", kStart + 1s, "cancelled", 487, "cancel-from-a", 0);
  }
  Database db(path_, DatabaseOptions{.access = Access::kReadOnly});
  Statement s = db.prepare("SELECT start_time, start_ms, answer_time, end_time FROM cdrs");
  ASSERT_EQ(s.step(), Statement::Step::kRow);
  EXPECT_EQ(s.columnText(0), "2026-11-27T13:45:01.123Z");
  EXPECT_EQ(s.columnInt64(1), toEpochMillis(kStart));
  EXPECT_TRUE(s.columnIsNull(2));
  EXPECT_EQ(s.columnText(3), "2026-11-27T13:45:02.123Z");
}

TEST_F(CdrStoreTest, EndQueuedBeforeTheStartIsCommittedStillApplies) {
  CdrStore store(path_);
  {
    // Another connection holds the write lock: the store's writer cannot commit the start
    // before the answer and end are queued behind it.
    Database other(path_);
    Transaction lock(other);
    ASSERT_TRUE(lock.ok()) << lock.error();
    store.recordStart(call("c1", kStart));
    store.recordAnswer("c1", kStart + 1s);
    store.recordEnd("c1", kStart + 11s, "answered", 200, "bye-from-b", 10000);
    std::this_thread::sleep_for(80ms);  // past the batch window: the writer is now waiting
  }
  store.flush();
  std::vector<CdrRecord> rows = store.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].answerTime);
  ASSERT_TRUE(rows[0].endTime);
  EXPECT_EQ(rows[0].endReason, "bye-from-b");
  EXPECT_EQ(rows[0].durationMs, 10000);
  EXPECT_EQ(store.failedWrites(), 0u);
}

TEST_F(CdrStoreTest, FlushCommitsForOtherConnections) {
  CdrStore store(path_);
  for (int i = 0; i < 10; ++i) store.recordStart(call(uuid("c", i), kStart + i * 1s));
  store.flush();
  EXPECT_EQ(countRows(), 10);
  store.flush();  // nothing queued: returns at once
  EXPECT_EQ(countRows(), 10);
}

TEST_F(CdrStoreTest, RowsSurviveARestart) {
  {
    CdrStore store(path_);
    store.recordStart(call("before-restart", kStart));
    store.recordAnswer("before-restart", kStart + 1s);
    // No flush: the destructor commits what is queued.
  }
  CdrStore reopened(path_);
  std::vector<CdrRecord> rows = reopened.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].callUuid, "before-restart");
  EXPECT_EQ(rows[0].disposition, "answered");
  reopened.recordEnd("before-restart", kStart + 5s, "answered", 200, "bye-from-a", 4000);
  rows = reopened.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].durationMs, 4000);
}

TEST_F(CdrStoreTest, RecentIsNewestFirstAndHonoursTheLimit) {
  CdrStore store(path_);
  for (int i : {3, 7, 0, 9, 1, 5, 8, 2, 6, 4}) {
    store.recordStart(call(uuid("c", i), kStart + i * 1min));
  }
  std::vector<CdrRecord> top = store.recent(3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].callUuid, "c9");
  EXPECT_EQ(top[1].callUuid, "c8");
  EXPECT_EQ(top[2].callUuid, "c7");
  EXPECT_TRUE(store.recent(0).empty());
  std::vector<CdrRecord> all = store.recent(1000);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const CdrRecord& a, const CdrRecord& b) {
    return a.startTime > b.startTime;
  }));
}

// What the call policy's spend caps count again after a restart.
TEST_F(CdrStoreTest, CostedSinceListsPricedCallsThatEndedSinceOldestFirst) {
  CdrStore store(path_);
  const auto end = [&](const std::string& id, base::SystemTime at, double cost) {
    store.recordStart(call(id, at - 10s));
    store.recordEnd(id, at, "answered", 200, "bye-from-a", 10000, cost);
  };
  end("old", kStart - 2h, 1.5);
  end("late", kStart + 30min, 0.25);
  end("free", kStart + 10min, 0);
  end("early", kStart + 5min, 2.0);
  store.recordStart(call("running", kStart + 40min));  // not ended: nothing to count yet
  std::vector<CdrRecord> rows = store.costedSince(kStart);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].callUuid, "early");
  EXPECT_DOUBLE_EQ(rows[0].cost, 2.0);
  ASSERT_TRUE(rows[0].endTime.has_value());
  EXPECT_LT(abs(*rows[0].endTime - (kStart + 5min)), 1ms);  // stored in milliseconds
  EXPECT_EQ(rows[1].callUuid, "late");
}

TEST_F(CdrStoreTest, DuplicateStartKeepsTheFirstRow) {
  CdrStore store(path_);
  store.recordStart(call("c1", kStart));
  store.recordEnd("c1", kStart + 3s, "busy", 486, "busy-here", 0);
  CdrRecord again = call("c1", kStart + 1h);
  again.provider = "other";
  store.recordStart(again);
  std::vector<CdrRecord> rows = store.recent(10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].provider, "carrier1");
  EXPECT_EQ(rows[0].disposition, "busy");
  EXPECT_EQ(store.failedWrites(), 0u);
}

TEST_F(CdrStoreTest, ConcurrentStartsWhileFlushing) {
  CdrStore store(path_);
  constexpr int kPerThread = 1000;
  std::atomic<bool> done{false};
  std::thread flusher([&] {
    while (!done.load()) store.flush();
  });
  auto produce = [&](const std::string& prefix) {
    for (int i = 0; i < kPerThread; ++i) {
      store.recordStart(call(uuid(prefix, i), kStart + i * 1ms));
    }
  };
  std::thread t1(produce, "x");
  std::thread t2(produce, "y");
  t1.join();
  t2.join();
  done = true;
  flusher.join();
  std::vector<CdrRecord> rows = store.recent(10 * kPerThread);
  ASSERT_EQ(rows.size(), 2u * kPerThread);
  std::set<std::string> uuids;
  for (const CdrRecord& r : rows) uuids.insert(r.callUuid);
  EXPECT_EQ(uuids.size(), 2u * kPerThread);
  EXPECT_EQ(store.droppedWrites(), 0u);
  EXPECT_EQ(store.failedWrites(), 0u);
}

TEST_F(CdrStoreTest, StalledDiskDropsWritesBeyondTheBoundAndCountsThem) {
  constexpr size_t kBound = 8;
  CdrStore store(path_, kBound);
  {
    Database other(path_);
    Transaction lock(other);  // the "stalled disk": no commit can finish while this is held
    ASSERT_TRUE(lock.ok()) << lock.error();
    for (int i = 0; i < 20; ++i) store.recordStart(call(uuid("c", i), kStart + i * 1s));
    EXPECT_EQ(store.droppedWrites(), 12u);
    std::this_thread::sleep_for(80ms);  // the first batch is now in flight, still counted
    store.recordAnswer("c0", kStart + 30s);
    EXPECT_EQ(store.droppedWrites(), 13u);
  }
  store.flush();
  EXPECT_EQ(countRows(), static_cast<int64_t>(kBound));
  EXPECT_EQ(store.failedWrites(), 0u);
  // Room again once the disk caught up.
  store.recordStart(call("late", kStart + 1h));
  store.flush();
  EXPECT_EQ(countRows(), static_cast<int64_t>(kBound) + 1);
  EXPECT_EQ(store.droppedWrites(), 13u);
}

TEST_F(CdrStoreTest, AFailedBatchIsCountedAndFlushStillReturns) {
  CdrStore store(path_);
  {
    Database other(path_);
    ASSERT_EQ(other.exec("DROP TABLE cdrs"), "");
  }
  store.recordStart(call("c1", kStart));
  store.recordEnd("c1", kStart + 1s, "failed", 503, "provider-unavailable", 0);
  store.flush();
  EXPECT_EQ(store.failedWrites(), 2u);
  EXPECT_NE(store.lastError().find("no such table"), std::string::npos) << store.lastError();
  EXPECT_NE(store.lastError().find(path_), std::string::npos) << store.lastError();
}

TEST_F(CdrStoreTest, OpenErrorNamesThePath) {
  const std::string bad = (dir_ / "missing-dir" / "x.db").string();
  try {
    CdrStore store(bad);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(bad + ": open: ", 0), 0u) << e.what();
  }
}

TEST_F(CdrStoreTest, ReadRecentCdrsIsReadOnly) {
  EXPECT_THROW(readRecentCdrs(path_, 10), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(path_));
  {
    CdrStore store(path_);
    store.recordStart(call("c1", kStart));
    store.recordStart(call("c2", kStart + 1s));
    store.flush();
    // Readable while the gateway holds the database open.
    std::vector<CdrRecord> rows = readRecentCdrs(path_, 1);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].callUuid, "c2");
  }
  EXPECT_EQ(readRecentCdrs(path_, 10).size(), 2u);
}

// ---- Database -----------------------------------------------------------------------------

TEST(MigrationsTest, VersionsAreStrictlyIncreasing) {
  const std::span<const Migration> all = migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_GT(all[0].version, 0);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].version, all[i - 1].version);
}

TEST_F(CdrStoreTest, MigrationsAreAppliedOnceAcrossReopens) {
  std::string firstAppliedAt;
  for (int open = 0; open < 3; ++open) {
    Database db(path_);
    EXPECT_EQ(db.schemaVersion(), migrations().back().version);
    Statement s = db.prepare("SELECT count(*), min(applied_at) FROM schema_migrations");
    ASSERT_EQ(s.step(), Statement::Step::kRow);
    EXPECT_EQ(s.columnInt64(0), static_cast<int64_t>(migrations().size()));
    if (open == 0) firstAppliedAt = s.columnText(1);
    EXPECT_EQ(s.columnText(1), firstAppliedAt);  // not re-applied
  }
  EXPECT_EQ(firstAppliedAt.size(), std::string("2026-11-27T13:45:01.123Z").size());
  CdrStore store(path_);  // and a store opens on the migrated file
  EXPECT_TRUE(store.recent(1).empty());
}

TEST_F(CdrStoreTest, DatabaseIsInWalMode) {
  Database db(path_);
  Statement s = db.prepare("PRAGMA journal_mode");
  ASSERT_EQ(s.step(), Statement::Step::kRow);
  EXPECT_EQ(s.columnText(0), "wal");
  Statement fk = db.prepare("PRAGMA foreign_keys");
  ASSERT_EQ(fk.step(), Statement::Step::kRow);
  EXPECT_EQ(fk.columnInt(0), 1);
}

TEST_F(CdrStoreTest, StatementBindsAndReadsColumns) {
  Database db(path_);
  ASSERT_EQ(db.exec("CREATE TABLE t(i INTEGER, d REAL, s TEXT, n TEXT)"), "");
  Statement insert = db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  insert.bind(1, int64_t{1} << 40).bind(2, 2.5).bind(3, std::string_view("")).bindNull(4);
  EXPECT_EQ(insert.step(), Statement::Step::kDone);
  EXPECT_EQ(db.changes(), 1);
  insert.reset();
  insert.bind(9, 1);  // no such parameter: reported by step()
  EXPECT_EQ(insert.step(), Statement::Step::kError);
  EXPECT_NE(insert.errorMessage().find("bind"), std::string::npos);

  Statement select = db.prepare("SELECT i, d, s, n FROM t");
  ASSERT_EQ(select.step(), Statement::Step::kRow);
  EXPECT_EQ(select.columnInt64(0), int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(select.columnDouble(1), 2.5);
  EXPECT_FALSE(select.columnIsNull(2));  // empty text stays text, not NULL
  EXPECT_EQ(select.columnText(2), "");
  EXPECT_TRUE(select.columnIsNull(3));
  EXPECT_EQ(select.step(), Statement::Step::kDone);
  EXPECT_THROW(db.prepare("SELECT nope FROM nowhere"), std::runtime_error);
}

TEST_F(CdrStoreTest, TransactionRollsBackUnlessCommitted) {
  Database db(path_);
  ASSERT_EQ(db.exec("CREATE TABLE t(i INTEGER)"), "");
  {
    Transaction tx(db);
    ASSERT_TRUE(tx.ok());
    ASSERT_EQ(db.exec("INSERT INTO t VALUES (1)"), "");
  }
  {
    Transaction tx(db);
    ASSERT_EQ(db.exec("INSERT INTO t VALUES (2)"), "");
    EXPECT_EQ(tx.commit(), "");
  }
  Statement s = db.prepare("SELECT group_concat(i) FROM t");
  ASSERT_EQ(s.step(), Statement::Step::kRow);
  EXPECT_EQ(s.columnText(0), "2");
}

TEST_F(CdrStoreTest, ReadOnlyOpenNeverCreatesTheFile) {
  EXPECT_THROW(Database(path_, DatabaseOptions{.access = Access::kReadOnly}), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST(TimeFormatTest, UtcWithMilliseconds) {
  EXPECT_EQ(formatUtcMillis(kStart), "2026-11-27T13:45:01.123Z");
  EXPECT_EQ(formatUtcMillis(base::SystemTime{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatUtcMillis(base::SystemTime{} - 1ms), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(fromEpochMillis(toEpochMillis(kStart)), floor<milliseconds>(kStart));
}

}  // namespace
}  // namespace tg::db
