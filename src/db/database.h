#pragma once

// A small RAII layer over SQLite: one connection (Database), its prepared statements (Statement)
// and transactions (Transaction), plus the schema migrations applied when a connection opens.
//
// Error policy (ARCHITECTURE.md "Errors"): opening, migrating and preparing throw
// std::runtime_error("<path>: <what>: <sqlite message>"); they happen at start-up. Everything a
// running gateway calls (exec, step, commit) returns the error instead of throwing.
//
// A Database is not thread-safe (the connection is opened in SQLite's multi-thread mode): use it
// and its statements from one thread at a time. WAL lets a reader connection run beside a writer.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/clock.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tg::db {

// One schema step. The list lives in migrations.cc; each step runs once, in its own transaction,
// in version order, and is recorded in schema_migrations(version, applied_at).
struct Migration {
  int version;
  std::string_view name;  // shown in errors: "migration 1 (cdrs)"
  std::string_view sql;   // one or more statements
};

// Every migration the code knows, in strictly increasing version order.
std::span<const Migration> migrations();

enum class Access : uint8_t {
  kReadWrite,  // creates the file if needed, enables WAL, applies migrations
  kReadOnly,   // never creates or changes anything (the file must exist)
};

struct DatabaseOptions {
  Access access = Access::kReadWrite;
  std::chrono::milliseconds busyTimeout{5000};
};

class Statement {
 public:
  enum class Step : uint8_t { kRow, kDone, kError };

  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();  // finalizes

  bool valid() const { return stmt_ != nullptr; }

  // Parameters are 1-based, as in SQL (?1, ?2...). Text is copied. A failed bind is reported by
  // the next step() as kError.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bindNull(int index);

  Step step();
  // Ready to run again with new bindings (clears the old ones).
  void reset();

  // Columns are 0-based, as in SQLite.
  bool columnIsNull(int index) const;
  int64_t columnInt64(int index) const;
  int columnInt(int index) const;
  double columnDouble(int index) const;
  std::string columnText(int index) const;  // "" for NULL

  // SQLite's message for the last failure on this statement's connection.
  std::string errorMessage() const;

 private:
  friend class Database;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  void noteBind(int rc);

  sqlite3_stmt* stmt_ = nullptr;
  int bindError_ = 0;  // first failed bind's result code, 0 when all succeeded
};

class Database {
 public:
  // Opens path; read-write opens also set WAL, synchronous=NORMAL, foreign_keys=ON and apply
  // every pending migration. Throws std::runtime_error("<path>: <what>: <sqlite message>").
  explicit Database(std::string path, DatabaseOptions options = {});
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  const std::string& path() const { return path_; }

  // Runs one or more statements that return no rows. Returns "" or SQLite's message.
  std::string exec(std::string_view sql);

  // Start-up only: throws std::runtime_error("<path>: prepare: <sqlite message>").
  Statement prepare(std::string_view sql);

  // The highest applied migration version, 0 for a database without migrations. Start-up and
  // tests: throws like prepare().
  int schemaVersion();

  int64_t changes() const;  // rows changed by the last INSERT/UPDATE/DELETE
  std::string errorMessage() const;
  sqlite3* handle() { return db_; }

 private:
  void close();
  void configure(const DatabaseOptions& options);
  void migrate();
  [[noreturn]] void fail(std::string_view what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction (the write lock is taken up front so a busy database shows
// here, inside busy_timeout, rather than at the first write); ROLLBACK on destruction unless
// commit() succeeded. No exceptions: check error() after construction and commit()'s result.
class Transaction {
 public:
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  bool ok() const { return open_; }
  const std::string& error() const { return error_; }  // why BEGIN failed
  std::string commit();                                // "" or SQLite's message

 private:
  Database& db_;
  bool open_ = false;
  std::string error_;
};

// Times are stored as ISO-8601 UTC text with milliseconds ("2026-11-27T13:45:01.123Z") for people
// and as integer milliseconds since the Unix epoch for sorting and arithmetic.
std::string formatUtcMillis(base::SystemTime t);
int64_t toEpochMillis(base::SystemTime t);
base::SystemTime fromEpochMillis(int64_t ms);

}  // namespace tg::db
