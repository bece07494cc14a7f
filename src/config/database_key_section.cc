// `database.key_file`: where the key sealing secrets at rest lives (docs/configuration.md).

#include <filesystem>

#include "base/sealed_secret.h"
#include "config/credentials.h"
#include "config/loader.h"

namespace tg::config::detail {

void Loader::readDatabaseKeyFile(const MapReader& m, Config& c) {
  if (!m.has("key_file")) return;
  const int at = valueLine(m, "key_file");
  const std::string where = m.pathOf("key_file");
  auto value = readString(m, "key_file");
  if (!value) return;
  if (value->empty()) {
    error(at, where, "is empty; give a file name, e.g. /var/lib/trunkguard/secrets.key");
    return;
  }
  std::string why;
  const auto credential = credentialPath(*value, &why);
  if (credential && credential->empty()) {
    error(at, where, why);
    return;
  }
  c.database.keyFile = credential ? *credential : resolvePath(*value);
  // Missing is fine: the gateway creates it (mode 0600) on its first start.
  std::error_code ec;
  if (!std::filesystem::exists(c.database.keyFile, ec)) return;
  if (std::string problem = base::filePermissionProblem(c.database.keyFile, false);
      !problem.empty()) {
    error(at, where, "the key file is not private: " + problem);
  }
}

}  // namespace tg::config::detail
