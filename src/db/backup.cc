#include "db/backup.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <span>
#include <string_view>
#include <utility>

#include "db/database.h"

namespace tg::db {
namespace {

namespace fs = std::filesystem;

// One raw connection: the backup API works on handles, and restore must not migrate anything.
class Connection {
 public:
  Connection(const std::string& path, int flags) {
    rc_ = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  }
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3* handle() { return db_; }
  std::string error() const { return db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc_); }
  int exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

  // The first column of the first row of `sql`, or "" (and error() says why).
  std::string text(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      if (const unsigned char* t = sqlite3_column_text(stmt, 0))
        out = reinterpret_cast<const char*>(t);
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Copies every page of `from` into `to` in one step: one read transaction on `from`, so the
// copy is a single snapshot even while another process writes.
std::string copyPages(Connection& from, Connection& to) {
  sqlite3_backup* backup = sqlite3_backup_init(to.handle(), "main", from.handle(), "main");
  if (backup == nullptr) return to.error();
  const int step = sqlite3_backup_step(backup, -1);
  const int finish = sqlite3_backup_finish(backup);
  if (step != SQLITE_DONE) {
    return step == SQLITE_BUSY || step == SQLITE_LOCKED ? "the database is busy; try again"
                                                        : sqlite3_errstr(step);
  }
  return finish == SQLITE_OK ? "" : to.error();
}

// "" when `db` passes integrity_check and has a schema this build can migrate from.
std::string checkDatabase(Connection& db) {
  const std::string integrity = db.text("PRAGMA integrity_check");
  if (integrity != "ok") {
    return "fails its integrity check: " + (integrity.empty() ? db.error() : integrity);
  }
  const std::string version = db.text("SELECT max(version) FROM schema_migrations");
  if (version.empty()) return "is not a trunkguard database (no schema_migrations): " + db.error();
  const int newest = migrations().back().version;
  if (std::stoi(version) > newest) {
    return "has schema version " + version + ", newer than this trunkguard (" +
           std::to_string(newest) + "); restore it with the version that made it";
  }
  return "";
}

}  // namespace

std::string backupDatabase(const std::string& source, const std::string& destination) {
  std::error_code ec;
  if (!fs::exists(source, ec)) return source + ": no database there";
  if (fs::exists(destination, ec)) {
    return destination + ": already exists; a backup never overwrites, choose a new name";
  }
  Connection from(source, SQLITE_OPEN_READONLY);
  if (!from.ok()) return source + ": open: " + from.error();
  sqlite3_busy_timeout(from.handle(), 5000);

  const std::string partial = destination + ".partial";
  fs::remove(partial, ec);
  std::string problem;
  {
    Connection to(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!to.ok()) return destination + ": create: " + to.error();
    problem = copyPages(from, to);
    if (problem.empty()) problem = checkDatabase(to);
    // The copy keeps the source's WAL mode; a backup is a single file to keep and move.
    if (problem.empty() && to.exec("PRAGMA journal_mode=DELETE") != SQLITE_OK) problem = to.error();
  }
  if (problem.empty()) {
    fs::rename(partial, destination, ec);
    if (ec) problem = "rename: " + ec.message();
  }
  if (!problem.empty()) {
    fs::remove(partial, ec);
    return destination + ": " + problem;
  }
  return "";
}

std::string restoreDatabase(const std::string& backup, const std::string& target) {
  std::error_code ec;
  if (!fs::exists(backup, ec)) return backup + ": no such file";
  Connection from(backup, SQLITE_OPEN_READONLY);
  if (!from.ok()) return backup + ": open: " + from.error();
  if (std::string why = checkDatabase(from); !why.empty()) return backup + ": " + why;

  const bool existed = fs::exists(target, ec);
  Connection to(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!to.ok()) return target + ": open: " + to.error();
  // An exclusive lock that stays after the write below: no gateway can open the database while
  // it is replaced, and one that has it open already (WAL keeps its lock) makes this fail now.
  sqlite3_busy_timeout(to.handle(), 0);
  if (to.exec("PRAGMA locking_mode=EXCLUSIVE") != SQLITE_OK ||
      to.exec("BEGIN EXCLUSIVE") != SQLITE_OK ||
      to.text("SELECT count(*) FROM sqlite_master").empty() || to.exec("COMMIT") != SQLITE_OK) {
    return target + ": in use (" + to.error() +
           "): a running gateway has it open; stop it first (systemctl stop trunkguard)";
  }
  if (std::string why = copyPages(from, to); !why.empty()) return target + ": restore: " + why;

  if (!existed && geteuid() == 0) {
    // Made by root for a service user: hand it to the owner of its folder, as the gateway's own
    // files are.
    struct stat folder {};
    const std::string parent = fs::absolute(target).parent_path().string();
    if (::stat(parent.c_str(), &folder) == 0 &&
        ::chown(target.c_str(), folder.st_uid, folder.st_gid) != 0) {
      return target + ": restored, but chown to the folder's owner failed";
    }
  }
  return "";
}

}  // namespace tg::db
