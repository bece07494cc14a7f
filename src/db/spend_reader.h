#pragma once

// What the calls cost over a recent span, summed by SQLite from the CDRs on a read-only
// connection of its own (the alerts' spend thresholds, app/alerts/spend_watch.h). Only calls
// that ended count: a call in progress has no cost in its CDR until it ends.
// Not thread-safe: one owner thread.

#include <cstdint>
#include <map>
#include <string>

#include "db/database.h"

namespace tg::db {

struct SpendTotals {
  double total = 0;                         // every account's
  std::map<std::string, double> byAccount;  // accounts with a cost; "" for calls without one
};

class SpendReader {
 public:
  // Opens path read-only (never creating it). Throws std::runtime_error("<path>: ...") when
  // it cannot be opened or holds no cdrs table.
  explicit SpendReader(const std::string& path);

  // The cost of the calls that ended at or after sinceMs (epoch ms). Throws
  // std::runtime_error("<path>: read spend: <message>") on a read error.
  SpendTotals since(int64_t sinceMs);

 private:
  Database db_;
  Statement sum_;
};

}  // namespace tg::db
