#include "db/database.h"

#include <sqlite3.h>

#include <cstdio>
#include <stdexcept>
#include <utility>

namespace tg::db {

// ---- Statement ----------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), bindError_(std::exchange(other.bindError_, 0)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bindError_ = std::exchange(other.bindError_, 0);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::noteBind(int rc) {
  if (rc != SQLITE_OK && bindError_ == 0) bindError_ = rc;
}

Statement& Statement::bind(int index, int64_t value) {
  if (stmt_ == nullptr) return *this;  // step() reports the missing statement
  noteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (stmt_ == nullptr) return *this;
  noteBind(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (stmt_ == nullptr) return *this;
  // A null data pointer would bind NULL; an empty string must stay an empty string.
  noteBind(sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(), value.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bindNull(int index) {
  if (stmt_ == nullptr) return *this;
  noteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

Statement::Step Statement::step() {
  if (stmt_ == nullptr || bindError_ != 0) return Step::kError;
  switch (sqlite3_step(stmt_)) {
    case SQLITE_ROW:
      return Step::kRow;
    case SQLITE_DONE:
      return Step::kDone;
    default:
      return Step::kError;
  }
}

void Statement::reset() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bindError_ = 0;
}

bool Statement::columnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

int64_t Statement::columnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }

int Statement::columnInt(int index) const { return sqlite3_column_int(stmt_, index); }

double Statement::columnDouble(int index) const { return sqlite3_column_double(stmt_, index); }

std::string Statement::columnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string Statement::errorMessage() const {
  if (stmt_ == nullptr) return "statement not prepared";
  if (bindError_ != 0) return std::string("bind: ") + sqlite3_errstr(bindError_);
  return sqlite3_errmsg(sqlite3_db_handle(stmt_));
}

// ---- Database -----------------------------------------------------------------------------

Database::Database(std::string path, DatabaseOptions options) : path_(std::move(path)) {
  // NOMUTEX: the class is single-threaded by contract, so SQLite's per-call locking is waste.
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= options.access == Access::kReadOnly ? SQLITE_OPEN_READONLY
                                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // SQLite hands back a connection even on failure (unless out of memory): read it, close it.
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    close();
    throw std::runtime_error(path_ + ": open: " + message);
  }
  try {
    configure(options);
    if (options.access == Access::kReadWrite) migrate();
  } catch (...) {
    close();
    throw;
  }
}

Database::Database(Database&& other) noexcept
    : path_(std::move(other.path_)), db_(std::exchange(other.db_, nullptr)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() {
  // close_v2 defers the close while statements are still alive, so destruction order between a
  // Database and its Statements cannot corrupt anything.
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

void Database::fail(std::string_view what) const {
  throw std::runtime_error(path_ + ": " + std::string(what) + ": " + errorMessage());
}

void Database::configure(const DatabaseOptions& options) {
  sqlite3_extended_result_codes(db_, 1);
  if (sqlite3_busy_timeout(db_, static_cast<int>(options.busyTimeout.count())) != SQLITE_OK) {
    fail("busy_timeout");
  }
  if (options.access == Access::kReadWrite) {
    // journal_mode answers with the mode in force: a filesystem that cannot do WAL says so here.
    Statement wal = prepare("PRAGMA journal_mode=WAL");
    if (wal.step() != Statement::Step::kRow) fail("journal_mode=WAL");
    const std::string mode = wal.columnText(0);
    if (mode != "wal" && !(path_ == ":memory:" && mode == "memory")) {
      throw std::runtime_error(path_ + ": journal_mode=WAL: the database stays in '" + mode +
                               "' mode (a filesystem without shared memory?)");
    }
    if (std::string e = exec("PRAGMA synchronous=NORMAL"); !e.empty()) fail("synchronous");
  }
  if (std::string e = exec("PRAGMA foreign_keys=ON"); !e.empty()) fail("foreign_keys");
}

std::string Database::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);  // sqlite3_exec needs a terminated string
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return {};
  std::string error = message != nullptr ? message : errorMessage();
  sqlite3_free(message);
  return error;
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    fail("prepare");
  }
  return Statement(stmt);
}

int Database::schemaVersion() {
  Statement exists =
      prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (exists.step() != Statement::Step::kRow) return 0;
  Statement max = prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  return max.step() == Statement::Step::kRow ? max.columnInt(0) : 0;
}

int64_t Database::changes() const { return sqlite3_changes64(db_); }

std::string Database::errorMessage() const {
  return db_ != nullptr ? sqlite3_errmsg(db_) : "database not open";
}

void Database::migrate() {
  const std::span<const Migration> all = migrations();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].version <= 0 || (i > 0 && all[i].version <= all[i - 1].version)) {
      throw std::runtime_error(path_ + ": migrate: the migration list is out of order at version " +
                               std::to_string(all[i].version) + " (a bug in migrations.cc)");
    }
  }
  if (std::string e = exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
      !e.empty()) {
    throw std::runtime_error(path_ + ": migrate: schema_migrations: " + e);
  }
  Statement applied = prepare("SELECT 1 FROM schema_migrations WHERE version = ?1");
  Statement record = prepare(
      "INSERT INTO schema_migrations(version, applied_at) "
      "VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
  for (const Migration& m : all) {
    const std::string what =
        "migration " + std::to_string(m.version) + " (" + std::string(m.name) + ")";
    // Checked inside the write lock: another process (or connection) opening the same file at
    // the same moment may have applied it first.
    Transaction tx(*this);
    if (!tx.ok()) throw std::runtime_error(path_ + ": " + what + ": " + tx.error());
    applied.reset();
    applied.bind(1, m.version);
    const Statement::Step seen = applied.step();
    if (seen == Statement::Step::kError) fail(what);
    applied.reset();
    if (seen == Statement::Step::kRow) continue;  // rolled back: nothing was written
    if (std::string e = exec(m.sql); !e.empty()) {
      throw std::runtime_error(path_ + ": " + what + ": " + e);
    }
    record.reset();
    record.bind(1, m.version);
    if (record.step() != Statement::Step::kDone) fail(what);
    record.reset();
    if (std::string e = tx.commit(); !e.empty()) {
      throw std::runtime_error(path_ + ": " + what + ": commit: " + e);
    }
  }
}

// ---- Transaction --------------------------------------------------------------------------

Transaction::Transaction(Database& db) : db_(db) {
  error_ = db_.exec("BEGIN IMMEDIATE");
  open_ = error_.empty();
}

Transaction::~Transaction() {
  // Statement errors such as SQLITE_FULL may already have rolled the transaction back.
  if (open_ && sqlite3_get_autocommit(db_.handle()) == 0) db_.exec("ROLLBACK");
}

std::string Transaction::commit() {
  if (!open_) return error_.empty() ? "no transaction is open" : error_;
  std::string e = db_.exec("COMMIT");
  if (e.empty()) open_ = false;  // on failure the destructor rolls back
  return e;
}

// ---- Time ---------------------------------------------------------------------------------

int64_t toEpochMillis(base::SystemTime t) {
  return std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
}

base::SystemTime fromEpochMillis(int64_t ms) {
  return base::SystemTime(
      std::chrono::duration_cast<base::SystemTime::duration>(std::chrono::milliseconds(ms)));
}

std::string formatUtcMillis(base::SystemTime t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return text;
}

}  // namespace tg::db
