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
    Migration{2, "bans", R"sql(
CREATE TABLE bans (
  network TEXT PRIMARY KEY,          -- normalized CIDR, e.g. 192.0.2.7/32
  origin TEXT NOT NULL,              -- auto | manual | blocklist
  rule TEXT NOT NULL,                -- the rule that fired, e.g. scanner.user_agent
  reason TEXT NOT NULL,
  created_time TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER,                -- NULL: until removed
  offences INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX bans_expires_ms ON bans(expires_ms);
-- How often each source has been banned, kept after its ban expires so that repeat offenders
-- get longer bans (escalation) across restarts.
CREATE TABLE ban_offences (
  network TEXT PRIMARY KEY,
  offences INTEGER NOT NULL,
  last_ms INTEGER NOT NULL
);
)sql"},
    Migration{3, "security_events", R"sql(
CREATE TABLE security_events (
  id INTEGER PRIMARY KEY,
  event_time TEXT NOT NULL,
  event_ms INTEGER NOT NULL,
  zone TEXT NOT NULL,
  source TEXT NOT NULL,
  rule TEXT NOT NULL,
  reason TEXT NOT NULL,
  action TEXT NOT NULL,              -- drop | reply NNN | ban | shadow (would have blocked)
  sample TEXT NOT NULL DEFAULT ''    -- the first bytes of the message
);
CREATE INDEX security_events_ms ON security_events(event_ms);
)sql"},
    Migration{4, "cdr_policy", R"sql(
ALTER TABLE cdrs ADD COLUMN dialled_e164 TEXT NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN destination_class TEXT NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN policy_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN cost REAL NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN account TEXT NOT NULL DEFAULT '';
)sql"},
    // Next: Migration{5, "...", R"sql(...)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace tg::db
