#include "db/audit_store.h"

#include <algorithm>
#include <limits>

namespace tg::db {

AuditStore::AuditStore(const std::string& path)
    : db_(path),
      insert_(db_.prepare(
          "INSERT INTO admin_audit(event_time, event_ms, actor, action, result, uid, tty, host)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")),
      recent_(db_.prepare("SELECT event_ms, actor, action, result, uid, tty, host FROM admin_audit"
                          " ORDER BY event_ms DESC, id DESC LIMIT ?1")) {}

std::string AuditStore::append(const AuditRecord& r) {
  insert_.bind(1, formatUtcMillis(fromEpochMillis(r.timeMs))).bind(2, r.timeMs);
  insert_.bind(3, r.actor).bind(4, r.action).bind(5, r.result).bind(6, r.uid);
  insert_.bind(7, r.tty).bind(8, r.host);
  std::string error;
  if (insert_.step() == Statement::Step::kError) error = insert_.errorMessage();
  insert_.reset();
  if (!error.empty()) lastError_ = db_.path() + ": admin_audit: " + error;
  return error;
}

std::vector<AuditRecord> AuditStore::recent(size_t limit) {
  std::vector<AuditRecord> out;
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  recent_.bind(1, static_cast<int64_t>(std::min(limit, kMax)));
  for (;;) {
    const Statement::Step step = recent_.step();
    if (step == Statement::Step::kRow) {
      out.push_back({recent_.columnInt64(0), recent_.columnText(1), recent_.columnText(2),
                     recent_.columnText(3), recent_.columnInt64(4), recent_.columnText(5),
                     recent_.columnText(6)});
      continue;
    }
    if (step == Statement::Step::kError) {
      lastError_ = db_.path() + ": admin_audit: " + recent_.errorMessage();
    }
    break;
  }
  recent_.reset();
  return out;
}

}  // namespace tg::db
