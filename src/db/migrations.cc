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
-- Bumped by every `trunkguard ban` edit: a running gateway re-reads the bans when it moves
-- (its own writes, and other tables' writes, leave it alone).
CREATE TABLE ban_edits (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  edits INTEGER NOT NULL
);
INSERT INTO ban_edits (id, edits) VALUES (1, 0);
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
    Migration{5, "accounts", R"sql(
-- Remote-phone accounts (src/auth/). No plaintext password is stored: one HA1 =
-- H(username:realm:password) per digest algorithm, so a leaked row is only good for that realm.
CREATE TABLE accounts (
  username TEXT PRIMARY KEY,
  realm TEXT NOT NULL,
  ha1_md5 TEXT NOT NULL,
  ha1_sha256 TEXT NOT NULL,
  ha1_sha512_256 TEXT NOT NULL,
  allowed_networks TEXT NOT NULL DEFAULT '',    -- space-separated CIDRs; empty: anywhere
  allowed_caller_ids TEXT NOT NULL DEFAULT '',  -- space-separated; empty: the username only
  max_registrations INTEGER NOT NULL DEFAULT 1,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_ms INTEGER NOT NULL,
  password_changed_time TEXT NOT NULL,
  password_changed_ms INTEGER NOT NULL,
  locked_until_ms INTEGER,                      -- account-wide lock; NULL: not locked
  lock_count INTEGER NOT NULL DEFAULT 0,        -- locks so far (escalation)
  unlocked_ms INTEGER NOT NULL DEFAULT 0        -- last `account unlock`: the gateway lifts its locks
);
-- Administrators of sensitive CLI actions and the admin API. The TOTP secret is stored in the
-- clear: the database file is kept mode 0600 (db::AccountStore). last_totp_step refuses reuse.
CREATE TABLE admin_users (
  name TEXT PRIMARY KEY,
  totp_secret TEXT NOT NULL,                    -- hex
  last_totp_step INTEGER NOT NULL DEFAULT 0,
  created_time TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
-- Bumped by every change to accounts made outside the gateway (the CLI): the gateway polls it
-- and reloads its account table.
CREATE TABLE account_edits (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  edits INTEGER NOT NULL
);
INSERT INTO account_edits (id, edits) VALUES (1, 0);
)sql"},
    Migration{6, "cdr_transport", R"sql(
ALTER TABLE cdrs ADD COLUMN a_transport TEXT NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN b_transport TEXT NOT NULL DEFAULT '';
)sql"},
    Migration{7, "admin_audit", R"sql(
-- Every admin action of the CLI, allowed or refused (src/app/admin_gate.cc): who (an admin, "root"
-- with --local-root, or "bootstrap" for the first admin), what, when and from where.
CREATE TABLE admin_audit (
  id INTEGER PRIMARY KEY,
  event_time TEXT NOT NULL,
  event_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,              -- e.g. "account add 201", "ban remove 192.0.2.7/32"
  result TEXT NOT NULL,              -- ok | failed | refused: why
  uid INTEGER NOT NULL,              -- real uid of the process
  tty TEXT NOT NULL,                 -- controlling terminal of stdin, "-" without one
  host TEXT NOT NULL                 -- host name, plus the SSH client address when there is one
);
CREATE INDEX admin_audit_ms ON admin_audit(event_ms);
-- Failed admin codes lock the admin out (auth::LockoutPolicy, accounts.lockout).
ALTER TABLE admin_users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE admin_users ADD COLUMN first_failure_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE admin_users ADD COLUMN locked_until_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE admin_users ADD COLUMN lock_count INTEGER NOT NULL DEFAULT 0;
)sql"},
    Migration{8, "cdr_media", R"sql(
ALTER TABLE cdrs ADD COLUMN media_packets_a_to_b INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN media_packets_b_to_a INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN media_bytes_a_to_b INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN media_bytes_b_to_a INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN media_foreign_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN media_unauthenticated_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN media_over_rate_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN srtp_a TEXT NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN srtp_b TEXT NOT NULL DEFAULT '';
)sql"},
    Migration{9, "admin_api_credentials", R"sql(
-- The admin API's login is name + password + TOTP code (src/app/admin_api/). The password is
-- stored as a slow-KDF hash (auth/password_hash.h, scrypt); '' until `trunkguard admin passwd`
-- sets one, and an admin without one cannot log in to the API (the CLI needs the code only).
ALTER TABLE admin_users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
-- Bearer tokens for machines (db/token_store.h): only a SHA-256 of the secret part is kept.
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,               -- the public part of the token (tg_<id>_<secret>)
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,                -- viewer | admin
  secret_sha256 TEXT NOT NULL,       -- hex
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER NOT NULL DEFAULT 0  -- 0: valid
);
)sql"},
    Migration{10, "cdr_media_payload_type", R"sql(
-- RTP dropped because its payload type was not in the stream's SDP (media/payload_types.h).
ALTER TABLE cdrs ADD COLUMN media_payload_type_dropped INTEGER NOT NULL DEFAULT 0;
)sql"},
    Migration{11, "cdr_identity", R"sql(
-- STIR/SHAKEN verification of an inbound call (admission filter `identity`): the verstat
-- ("TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation") and the attestation of
-- a verified PASSporT ("A", "B", "C"); '' when no verification ran (outbound calls, identity off).
ALTER TABLE cdrs ADD COLUMN verstat TEXT NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN attestation TEXT NOT NULL DEFAULT '';
)sql"},
    // Next: Migration{12, "...", R"sql(...)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace tg::db
