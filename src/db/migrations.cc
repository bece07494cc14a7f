#include <array>

#include "db/database.h"

namespace tg::db {
namespace {

// THE schema of trunkguard's database, one step per entry, applied in order by Database on
// every read-write open (each in its own transaction, recorded in schema_migrations).
//
// To change the schema, APPEND an entry with the next version number. Never edit, reorder or
// remove an entry that has shipped: databases in the field have already applied it, and an
// edited entry would silently not run there. Times are stored as ISO-8601 UTC text with
// milliseconds plus an integer epoch-ms column where rows are sorted or compared by time.
constexpr std::array kMigrations = {
    Migration{1, "cdrs", R"sql(
CREATE TABLE cdrs (
  id INTEGER PRIMARY KEY,
  call_uuid TEXT NOT NULL,
  direction TEXT NOT NULL,
  a_call_id TEXT NOT NULL,
  a_from_tag TEXT NOT NULL,
  a_to_tag TEXT NOT NULL,
  b_call_id TEXT NOT NULL,
  b_from_tag TEXT NOT NULL,
  b_to_tag TEXT NOT NULL,
  provider TEXT NOT NULL,
  from_uri TEXT NOT NULL,
  to_uri TEXT NOT NULL,
  source_address TEXT NOT NULL,
  start_time TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  answer_time TEXT,
  answer_ms INTEGER,
  end_time TEXT,
  end_ms INTEGER,
  disposition TEXT NOT NULL,
  sip_code INTEGER NOT NULL DEFAULT 0,
  end_reason TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX cdrs_call_uuid ON cdrs(call_uuid);
CREATE INDEX cdrs_start_ms ON cdrs(start_ms);
)sql"},
    // Next: Migration{2, "...", R"sql(...)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace tg::db
