#pragma once

// `trunkguard backup FILE` and `trunkguard restore FILE` (db/backup.h), on the database that
// -c CONFIG or --db names.

#include <ostream>
#include <string>

namespace tg::app {

struct BackupOptions {
  std::string file;        // the backup to write or read
  std::string configPath;  // -c: the database is the config's database.path
  std::string dbPath;      // --db: the database file itself
};

// Exit codes: 0 done, 1 failed (the message says why), 2 bad usage.
int runBackup(const BackupOptions& o, std::ostream& out, std::ostream& err);
int runRestore(const BackupOptions& o, std::ostream& out, std::ostream& err);

}  // namespace tg::app
