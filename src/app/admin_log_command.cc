#include "app/admin_log_command.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "app/database_option.h"
#include "db/audit_store.h"
#include "db/database.h"

namespace tg::app {

int runAdminLog(const std::string& dbPath, size_t limit, bool json, std::ostream& out,
                std::ostream& err) {
  if (!existingDatabase(dbPath, "admin log", err)) return 1;
  db::AuditStore store(dbPath);
  const auto rows = store.recent(limit);
  if (!store.lastError().empty()) {
    err << "admin log: " << store.lastError() << "\n";
    return 1;
  }
  if (json) {
    using Json = nlohmann::ordered_json;
    Json list = Json::array();
    for (const db::AuditRecord& r : rows) {
      list.push_back({{"time", db::formatUtcMillis(db::fromEpochMillis(r.timeMs))},
                      {"actor", r.actor},
                      {"action", r.action},
                      {"result", r.result},
                      {"uid", r.uid},
                      {"tty", r.tty},
                      {"host", r.host}});
    }
    out << list.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (rows.empty()) {
    out << "no admin actions recorded in " << dbPath << "\n";
    return 0;
  }
  out << fmt::format("{:<24} {:<12} {:<32} {:<24} {}\n", "TIME (UTC)", "ACTOR", "ACTION", "FROM",
                     "RESULT");
  for (const db::AuditRecord& r : rows) {
    const std::string from = fmt::format("uid {} {} {}", r.uid, r.tty, r.host);
    out << fmt::format("{:<24} {:<12} {:<32} {:<24} {}\n",
                       db::formatUtcMillis(db::fromEpochMillis(r.timeMs)), r.actor, r.action, from,
                       r.result);
  }
  return 0;
}

}  // namespace tg::app
