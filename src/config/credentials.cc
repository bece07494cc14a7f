#include "config/credentials.h"

#include <cstdlib>

namespace tg::config {

std::optional<std::string> credentialPath(std::string_view value, std::string* error) {
  if (!value.starts_with(kCredentialPrefix)) return std::nullopt;
  const std::string_view name = value.substr(kCredentialPrefix.size());
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
    *error = "'" + std::string(value) + "': NAME must be a file name in $CREDENTIALS_DIRECTORY";
    return std::string();
  }
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr || *dir == '\0') {
    *error = "'" + std::string(value) +
             "' needs $CREDENTIALS_DIRECTORY (set by systemd for LoadCredential=); it is not set";
    return std::string();
  }
  return std::string(dir) + "/" + std::string(name);
}

}  // namespace tg::config
