#include "app/secrets_at_rest.h"

#include <filesystem>
#include <stdexcept>

#include "db/account_store.h"

namespace tg::app {
namespace {

bool inMemory(const std::string& dbPath) { return dbPath.empty() || dbPath == ":memory:"; }

}  // namespace

std::string sealingKeyPath(const config::Config* config, const std::string& dbPath) {
  if (config != nullptr && !config->database.keyFile.empty()) return config->database.keyFile;
  return dbPath + ".key";
}

int sealSecretsAtStart(const config::Config& config) {
  if (inMemory(config.database.path)) return 0;
  const std::string path = config.database.sealingKeyPath();
  bool created = false;
  std::string error;
  const auto key = base::SealingKey::loadOrCreate(path, &created, &error);
  if (!key) throw std::runtime_error("database.key_file: " + error);
  db::AccountStore store(config.database.path);
  store.setSealingKey(*key);
  const int sealed = store.sealPlaintextAdminSecrets();
  if (sealed < 0) throw std::runtime_error("sealing admin secrets: " + store.lastError());
  return sealed;
}

bool useSealingKey(db::AccountStore& store, const std::string& keyPath, std::ostream& err) {
  std::error_code ec;
  if (!std::filesystem::exists(keyPath, ec)) return true;  // sealed at the gateway's next start
  std::string error;
  const auto key = base::SealingKey::load(keyPath, &error);
  if (!key) {
    err << "error: " << error << "\n";
    return false;
  }
  store.setSealingKey(*key);
  return true;
}

}  // namespace tg::app
