#include "db/spend_reader.h"

#include <stdexcept>

namespace tg::db {

namespace {

Database openReadOnly(const std::string& path) {
  Database db(path, DatabaseOptions{.access = Access::kReadOnly});
  Statement s = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cdrs'");
  if (s.step() != Statement::Step::kRow) {
    throw std::runtime_error(path + ": no cdrs table (not a trunkguard database?)");
  }
  return db;
}

}  // namespace

SpendReader::SpendReader(const std::string& path)
    : db_(openReadOnly(path)),
      sum_(db_.prepare("SELECT COALESCE(account, ''), SUM(cost) FROM cdrs "
                       "WHERE end_ms >= ?1 AND cost > 0 GROUP BY 1")) {}

SpendTotals SpendReader::since(int64_t sinceMs) {
  SpendTotals out;
  sum_.reset();
  sum_.bind(1, sinceMs);
  for (;;) {
    const Statement::Step step = sum_.step();
    if (step == Statement::Step::kDone) break;
    if (step == Statement::Step::kError) {
      throw std::runtime_error(db_.path() + ": read spend: " + sum_.errorMessage());
    }
    const double cost = sum_.columnDouble(1);
    out.byAccount[sum_.columnText(0)] += cost;
    out.total += cost;
  }
  sum_.reset();
  return out;
}

}  // namespace tg::db
