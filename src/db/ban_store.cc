#include "db/ban_store.h"

#include <utility>

namespace tg::db {
namespace {

constexpr std::string_view kUpsertSql = R"sql(
INSERT INTO bans(network, origin, rule, reason, created_time, created_ms, expires_ms, offences)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT(network) DO UPDATE SET
  origin = excluded.origin, rule = excluded.rule, reason = excluded.reason,
  created_time = excluded.created_time, created_ms = excluded.created_ms,
  expires_ms = excluded.expires_ms, offences = excluded.offences)sql";

constexpr std::string_view kUpsertOffenceSql = R"sql(
INSERT INTO ban_offences(network, offences, last_ms) VALUES (?1, ?2, ?3)
ON CONFLICT(network) DO UPDATE SET offences = excluded.offences, last_ms = excluded.last_ms)sql";

constexpr std::string_view kRemoveSql = "DELETE FROM bans WHERE network = ?1";

constexpr std::string_view kSelectBans = R"sql(
SELECT network, origin, rule, reason, created_ms, expires_ms, offences FROM bans)sql";

BanRecord readBan(const Statement& s) {
  BanRecord r;
  r.network = s.columnText(0);
  r.origin = s.columnText(1);
  r.rule = s.columnText(2);
  r.reason = s.columnText(3);
  r.createdMs = s.columnInt64(4);
  if (!s.columnIsNull(5)) r.expiresMs = s.columnInt64(5);
  r.offences = s.columnInt(6);
  return r;
}

std::string stepOnce(Statement& s) {
  std::string error;
  if (s.step() == Statement::Step::kError) error = s.errorMessage();
  s.reset();
  return error;
}

}  // namespace

BanStore::BanStore(const std::string& path)
    : db_(path),
      upsert_(db_.prepare(kUpsertSql)),
      upsertOffence_(db_.prepare(kUpsertOffenceSql)),
      remove_(db_.prepare(kRemoveSql)),
      editsRead_(db_.prepare("SELECT edits FROM ban_edits WHERE id = 1")),
      editsBump_(db_.prepare("UPDATE ban_edits SET edits = edits + 1 WHERE id = 1")),
      selectActive_(db_.prepare(std::string(kSelectBans) +
                                " WHERE expires_ms IS NULL OR expires_ms > ?1"
                                " ORDER BY created_ms, network")),
      selectOffences_(db_.prepare("SELECT network, offences, last_ms FROM ban_offences")),
      find_(db_.prepare(std::string(kSelectBans) + " WHERE network = ?1")),
      pruneBans_(db_.prepare("DELETE FROM bans WHERE expires_ms IS NOT NULL AND expires_ms <= ?1")),
      pruneOffences_(db_.prepare("DELETE FROM ban_offences WHERE last_ms < ?1")) {}

BanStore::~BanStore() = default;

std::string BanStore::note(std::string error) {
  if (!error.empty()) lastError_ = db_.path() + ": " + error;
  return error;
}

std::vector<BanRecord> BanStore::loadActive(int64_t nowMs) {
  std::vector<BanRecord> out;
  Statement& s = selectActive_;
  s.bind(1, nowMs);
  for (;;) {
    const Statement::Step step = s.step();
    if (step == Statement::Step::kRow) {
      out.push_back(readBan(s));
      continue;
    }
    if (step == Statement::Step::kError) note("load bans: " + s.errorMessage());
    break;
  }
  s.reset();
  return out;
}

std::vector<OffenceRecord> BanStore::loadOffences() {
  std::vector<OffenceRecord> out;
  Statement& s = selectOffences_;
  for (;;) {
    const Statement::Step step = s.step();
    if (step == Statement::Step::kRow) {
      out.push_back({s.columnText(0), s.columnInt(1), s.columnInt64(2)});
      continue;
    }
    if (step == Statement::Step::kError) note("load offences: " + s.errorMessage());
    break;
  }
  s.reset();
  return out;
}

std::optional<BanRecord> BanStore::find(const std::string& network) {
  Statement& s = find_;
  s.bind(1, network);
  std::optional<BanRecord> out;
  if (s.step() == Statement::Step::kRow) out = readBan(s);
  s.reset();
  return out;
}

std::string BanStore::upsert(const BanRecord& ban) {
  Statement& s = upsert_;
  s.bind(1, ban.network).bind(2, ban.origin).bind(3, ban.rule).bind(4, ban.reason);
  s.bind(5, formatUtcMillis(fromEpochMillis(ban.createdMs))).bind(6, ban.createdMs);
  if (ban.expiresMs) {
    s.bind(7, *ban.expiresMs);
  } else {
    s.bindNull(7);
  }
  s.bind(8, ban.offences);
  return note(stepOnce(s));
}

std::string BanStore::upsertOffence(const OffenceRecord& offence) {
  upsertOffence_.bind(1, offence.network).bind(2, offence.offences).bind(3, offence.lastMs);
  return note(stepOnce(upsertOffence_));
}

std::string BanStore::remove(const std::string& network, bool* removed) {
  remove_.bind(1, network);
  std::string error = stepOnce(remove_);
  if (removed != nullptr) *removed = error.empty() && db_.changes() > 0;
  return note(std::move(error));
}

std::string BanStore::apply(const std::vector<BanWrite>& writes) {
  if (writes.empty()) return {};
  Transaction tx(db_);
  if (!tx.ok()) return note("begin: " + tx.error());
  for (const BanWrite& w : writes) {
    std::string error;
    if (w.kind == BanWrite::Kind::kRemove) {
      error = remove(w.ban.network);
    } else {
      error = upsert(w.ban);
      if (error.empty() && w.offence) error = upsertOffence(*w.offence);
    }
    if (!error.empty()) return error;  // the transaction rolls back
  }
  return note(tx.commit());
}

std::string BanStore::prune(int64_t nowMs, int64_t forgetBeforeMs, int64_t* bansPruned) {
  Statement& bans = pruneBans_;
  bans.bind(1, nowMs);
  if (std::string error = stepOnce(bans); !error.empty()) return note("prune bans: " + error);
  if (bansPruned != nullptr) *bansPruned = db_.changes();
  Statement& offences = pruneOffences_;
  offences.bind(1, forgetBeforeMs);
  if (std::string error = stepOnce(offences); !error.empty()) {
    return note("prune offences: " + error);
  }
  return {};
}

std::string BanStore::noteEdited() {
  const bool ok = editsBump_.step() == Statement::Step::kDone;
  std::string error = ok ? std::string() : editsBump_.errorMessage();
  editsBump_.reset();
  return note(error.empty() ? error : "ban_edits: " + error);
}

bool BanStore::changedSinceLastCheck() {
  int64_t edits = 0;
  if (editsRead_.step() == Statement::Step::kRow) {
    edits = editsRead_.columnInt64(0);
  } else {
    note("ban_edits: " + editsRead_.errorMessage());
  }
  editsRead_.reset();
  const bool changed = lastEdits_ && *lastEdits_ != edits;
  lastEdits_ = edits;
  return changed;
}

}  // namespace tg::db
