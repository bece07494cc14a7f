#pragma once

// Security events (guard::SecurityEvent, flattened to text) in the security_events table
// (migration 3). Like CdrStore, writes are queued and committed in batches by a background
// thread, so a flood of blocked packets never makes a worker wait for the disk; beyond
// maxPendingWrites new events are dropped and counted. guard::EventLog throttles repeats before
// they get here.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tg::db {

struct SecurityEventRecord {
  int64_t timeMs = 0;  // wall clock, ms since the Unix epoch
  std::string zone;    // "pbx" | "trunk" | "public"
  std::string source;  // "192.0.2.7:5060"
  std::string rule;    // "scanner.user_agent", "ban", ...
  std::string reason;
  std::string action;  // "drop", "reply 403", "ban 600s", "shadow"
  std::string sample;  // printable, already bounded by the caller
};

class EventStore {
 public:
  static constexpr size_t kDefaultMaxPendingWrites = 10000;

  // Opens (creating or migrating) the database. Throws std::runtime_error with the path and
  // SQLite's message: start-up only.
  explicit EventStore(const std::string& path, size_t maxPendingWrites = kDefaultMaxPendingWrites);
  ~EventStore();  // flushes
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Queues one event; never waits for the disk.
  void record(SecurityEventRecord event);
  // Queues the deletion of events older than cutoffMs (retention), done by the writer thread.
  void pruneOlderThan(int64_t cutoffMs);
  // Blocks until everything queued before the call is committed (or counted as failed).
  void flush();

  // Most recent first. Flushes, then reads on its own connection.
  std::vector<SecurityEventRecord> recent(size_t limit);

  uint64_t droppedWrites() const;  // refused: the queue was full
  uint64_t failedWrites() const;   // lost: SQLite failed their batch
  uint64_t prunedEvents() const;   // deleted by retention
  std::string lastError() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The most recent events of the database at path, opened read-only (the CLI). Throws
// std::runtime_error ("<path>: <what>") when it cannot be opened or has no events table.
std::vector<SecurityEventRecord> readRecentEvents(const std::string& path, size_t limit);

}  // namespace tg::db
