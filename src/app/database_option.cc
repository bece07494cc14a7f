#include "app/database_option.h"

#include <filesystem>
#include <system_error>

#include "config/config_loader.h"

namespace tg::app {

namespace {

bool notADirectory(const std::string& path, std::string_view what, std::ostream& err) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return true;
  err << what << ": " << path << " is a directory; pass the database file with --db\n";
  return false;
}

}  // namespace

int chooseDatabase(const std::string& configPath, const std::string& dbPath, std::string_view what,
                   std::string_view why, DatabaseChoice& out, std::ostream& err) {
  if (!configPath.empty()) {
    config::LoadResult loaded = config::loadConfigFile(configPath);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) err << e.toString() << "\n";
      err << what << ": fix the configuration, or pass the database with --db\n";
      return 2;
    }
    out.config = loaded.config;
    out.path = loaded.config->database.path;
  }
  if (!dbPath.empty()) out.path = dbPath;
  if (out.path.empty()) {
    err << what << ": give -c CONFIG (" << why << ") or --db FILE\n";
    return 2;
  }
  return notADirectory(out.path, what, err) ? 0 : 2;
}

bool existingDatabase(const std::string& path, std::string_view what, std::ostream& err) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (ec) {
    err << what << ": " << path << ": " << ec.message() << "\n";
    return false;
  }
  if (!exists) {
    err << what << ": no database at " << path << "; start the gateway once, or check -c / --db\n";
    return false;
  }
  return notADirectory(path, what, err);
}

}  // namespace tg::app
