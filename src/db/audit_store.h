#pragma once

// The admin audit trail: one row per admin action of the CLI, allowed or refused, in the
// admin_audit table (migration 7). Written synchronously: the CLI makes one or two writes per
// run, and a refused action must be on disk before the command exits.

#include <cstdint>
#include <string>
#include <vector>

#include "db/database.h"

namespace tg::db {

struct AuditRecord {
  int64_t timeMs = 0;  // wall clock, ms since the Unix epoch
  std::string actor;   // admin name, "root" (--local-root) or "bootstrap" (the first admin)
  std::string action;  // "account add 201", "ban remove 192.0.2.7/32", ...
  std::string result;  // "ok", "failed", "refused: <why>"
  int64_t uid = -1;    // real uid of the CLI process
  std::string tty;     // "/dev/pts/3", "-" without a terminal
  std::string host;    // "gw1", "gw1 via ssh from 192.0.2.9"
};

class AuditStore {
 public:
  // Opens (creating and migrating) the database; throws std::runtime_error: start-up only.
  explicit AuditStore(const std::string& path);

  // "" or SQLite's message.
  std::string append(const AuditRecord& record);
  // Most recent first; on a read error returns what it read and sets lastError().
  std::vector<AuditRecord> recent(size_t limit);

  std::string lastError() const { return lastError_; }

 private:
  Database db_;
  Statement insert_;
  Statement recent_;
  std::string lastError_;
};

}  // namespace tg::db
