#include "app/version.h"

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "build_info.h"

namespace tg::app {

std::string versionText() {
  std::string text = std::string("trunkguard ") + build::kVersion;
  if (*build::kGitDescribe != '\0') text += std::string(" (git ") + build::kGitDescribe + ")";
  text += std::string("\nbuild: ") + build::kBuildType + "\n";
  // The libraries as loaded at run time, which may be newer than the ones built against.
  text += std::string("OpenSSL: ") + OpenSSL_version(OPENSSL_VERSION) + "\n";
  text += std::string("SQLite: ") + sqlite3_libversion();
  return text;
}

}  // namespace tg::app
