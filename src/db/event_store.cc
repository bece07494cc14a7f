#include "db/event_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <variant>

#include "db/batch_writer.h"
#include "db/database.h"

namespace tg::db {
namespace {

// One commit per window or per kBatchSize events, as CdrStore does.
constexpr auto kBatchWindow = std::chrono::milliseconds(100);
constexpr size_t kBatchSize = 512;

struct PruneWrite {
  int64_t cutoffMs;
};
using Write = std::variant<SecurityEventRecord, PruneWrite>;

constexpr std::string_view kInsertSql = R"sql(
INSERT INTO security_events(event_time, event_ms, zone, source, rule, reason, action, sample)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql";

constexpr std::string_view kPruneSql = "DELETE FROM security_events WHERE event_ms < ?1";

constexpr std::string_view kRecentSql = R"sql(
SELECT event_ms, zone, source, rule, reason, action, sample
FROM security_events ORDER BY event_ms DESC, id DESC LIMIT ?1)sql";

std::string readRecent(Statement& s, size_t limit, std::vector<SecurityEventRecord>& out) {
  if (limit == 0) return {};
  constexpr size_t kMaxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  s.reset();
  s.bind(1, static_cast<int64_t>(std::min(limit, kMaxLimit)));
  out.reserve(std::min<size_t>(limit, 1024));
  std::string error;
  for (;;) {
    const Statement::Step step = s.step();
    if (step == Statement::Step::kRow) {
      out.push_back({s.columnInt64(0), s.columnText(1), s.columnText(2), s.columnText(3),
                     s.columnText(4), s.columnText(5), s.columnText(6)});
      continue;
    }
    if (step == Statement::Step::kError) error = s.errorMessage();
    break;
  }
  s.reset();
  return error;
}

std::string stepOnce(Statement& s) {
  std::string error;
  if (s.step() == Statement::Step::kError) error = s.errorMessage();
  s.reset();
  return error;
}

}  // namespace

class EventStore::Impl {
 public:
  Impl(const std::string& path, size_t maxPending)
      : writeDb_(path),
        insert_(writeDb_.prepare(kInsertSql)),
        prune_(writeDb_.prepare(kPruneSql)),
        readDb_(path, DatabaseOptions{.access = Access::kReadOnly}),
        recent_(readDb_.prepare(kRecentSql)),
        writer_({.threadName = "tg-event-writer",
                 .maxPending = maxPending,
                 .batchWindow = kBatchWindow,
                 .batchSize = kBatchSize},
                [this](const std::vector<Write>& batch) { return commit(batch); }) {}

  void enqueue(Write&& w) { writer_.enqueue(std::move(w)); }
  void flush() { writer_.flush(); }

  std::vector<SecurityEventRecord> recent(size_t limit) {
    flush();
    std::vector<SecurityEventRecord> out;
    std::string error;
    {
      std::lock_guard lock(readMutex_);
      error = readRecent(recent_, limit, out);
    }
    if (!error.empty()) writer_.noteError(writeDb_.path() + ": read: " + error);
    return out;
  }

  uint64_t dropped() const { return writer_.dropped(); }
  uint64_t failed() const { return writer_.failed(); }
  uint64_t pruned() const { return pruned_.load(std::memory_order_relaxed); }
  std::string lastError() const { return writer_.lastError(); }

 private:
  std::string commit(const std::vector<Write>& batch) {
    Transaction tx(writeDb_);
    std::string error = tx.ok() ? "" : "begin: " + tx.error();
    int64_t pruned = 0;
    for (size_t i = 0; error.empty() && i < batch.size(); ++i) {
      if (const auto* e = std::get_if<SecurityEventRecord>(&batch[i])) {
        error = insert(*e);
      } else {
        prune_.bind(1, std::get<PruneWrite>(batch[i]).cutoffMs);
        error = stepOnce(prune_);
        if (error.empty()) pruned += writeDb_.changes();
      }
    }
    if (error.empty()) {
      if (std::string e = tx.commit(); !e.empty()) error = "commit: " + e;
    }
    if (!error.empty()) return writeDb_.path() + ": " + error;
    pruned_.fetch_add(static_cast<uint64_t>(pruned), std::memory_order_relaxed);
    return {};
  }

  std::string insert(const SecurityEventRecord& e) {
    Statement& s = insert_;
    s.bind(1, formatUtcMillis(fromEpochMillis(e.timeMs))).bind(2, e.timeMs);
    s.bind(3, e.zone).bind(4, e.source).bind(5, e.rule).bind(6, e.reason).bind(7, e.action);
    s.bind(8, e.sample);
    return stepOnce(s);
  }

  Database writeDb_;  // the writer thread's (and the constructor's) only
  Statement insert_;
  Statement prune_;

  std::mutex readMutex_;
  Database readDb_;
  Statement recent_;

  std::atomic<uint64_t> pruned_{0};

  BatchWriter<Write> writer_;  // last: its thread uses the statements above, until it drains
};

EventStore::EventStore(const std::string& path, size_t maxPendingWrites)
    : impl_(std::make_unique<Impl>(path, maxPendingWrites)) {}

EventStore::~EventStore() = default;

void EventStore::record(SecurityEventRecord event) { impl_->enqueue(std::move(event)); }

void EventStore::pruneOlderThan(int64_t cutoffMs) { impl_->enqueue(PruneWrite{cutoffMs}); }

void EventStore::flush() { impl_->flush(); }

std::vector<SecurityEventRecord> EventStore::recent(size_t limit) { return impl_->recent(limit); }

uint64_t EventStore::droppedWrites() const { return impl_->dropped(); }
uint64_t EventStore::failedWrites() const { return impl_->failed(); }
uint64_t EventStore::prunedEvents() const { return impl_->pruned(); }
std::string EventStore::lastError() const { return impl_->lastError(); }

std::vector<SecurityEventRecord> readRecentEvents(const std::string& path, size_t limit) {
  Database db(path, DatabaseOptions{.access = Access::kReadOnly});
  Statement check =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'security_events'");
  if (check.step() != Statement::Step::kRow) {
    throw std::runtime_error(path + ": no security_events table (not a trunkguard database?)");
  }
  Statement s = db.prepare(kRecentSql);
  std::vector<SecurityEventRecord> out;
  if (std::string error = readRecent(s, limit, out); !error.empty()) {
    throw std::runtime_error(path + ": read security_events: " + error);
  }
  return out;
}

}  // namespace tg::db
