#include "app/backup_command.h"

#include "app/database_option.h"
#include "db/backup.h"

namespace tg::app {

int runBackup(const BackupOptions& o, std::ostream& out, std::ostream& err) {
  DatabaseChoice db;
  if (int rc = chooseDatabase(o.configPath, o.dbPath, "backup", "its database.path", db, err)) {
    return rc;
  }
  if (!existingDatabase(db.path, "backup", err)) return 1;
  if (std::string problem = db::backupDatabase(db.path, o.file); !problem.empty()) {
    err << "backup: " << problem << "\n";
    return 1;
  }
  out << "backed up " << db.path << " to " << o.file << "\n";
  return 0;
}

int runRestore(const BackupOptions& o, std::ostream& out, std::ostream& err) {
  DatabaseChoice db;
  if (int rc = chooseDatabase(o.configPath, o.dbPath, "restore", "its database.path", db, err)) {
    return rc;
  }
  if (std::string problem = db::restoreDatabase(o.file, db.path); !problem.empty()) {
    err << "restore: " << problem << "\n";
    return 1;
  }
  out << "restored " << db.path << " from " << o.file << "; start the gateway again\n";
  return 0;
}

}  // namespace tg::app
