#include "app/secrets_at_rest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "db/account_store.h"

namespace tg::app {
namespace {

bool inMemory(const std::string& dbPath) { return dbPath.empty() || dbPath == ":memory:"; }

// Replaces `path` with `content` through a new file in its folder renamed over it, with
// `mode`: a crash leaves the old file or the new one, never half of one. "" or why not.
std::string replaceFile(const std::string& path, const std::string& content, mode_t mode) {
  std::string tmp = path + ".tg-seal-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return std::strerror(errno);
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
    return why;
  }
  return {};
}

// One provider's plaintext password file sealed in place; "" or why it was left alone.
std::string sealPasswordFile(const config::Provider& p, const base::SealingKey& key) {
  const std::string& path = p.auth.passwordFile;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (st.st_uid != ::geteuid()) return "it belongs to another user";
  std::ifstream in(path, std::ios::binary);
  std::stringstream whole;
  whole << in.rdbuf();
  if (!in && !in.eof()) return "it cannot be read";
  std::string text = whole.str();
  const size_t end = text.find('\n');
  std::string first = text.substr(0, end);
  if (!first.empty() && first.back() == '\r') first.pop_back();
  // Changed since the config was read (or already sealed by another start): not ours to touch.
  if (base::isSealed(first) || first != p.auth.password.reveal()) return "it changed since loading";
  const std::string sealed = base::seal(key, first, config::providerPasswordContext(p.name));
  if (sealed.empty()) return "sealing failed (OpenSSL)";
  const std::string rest = end == std::string::npos ? "\n" : text.substr(end);
  return replaceFile(path, sealed + rest, st.st_mode & 07777);
}

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

int sealProviderPasswordsAtStart(const config::Config& config, std::vector<std::string>* skipped) {
  if (inMemory(config.database.path)) return 0;
  std::optional<base::SealingKey> key;
  int sealed = 0;
  for (const config::Provider& p : config.trunk.providers) {
    if (!p.auth.enabled || p.auth.passwordFile.empty() || p.auth.passwordWasSealed) continue;
    if (!key) {
      std::string error;
      key = base::SealingKey::load(config.database.sealingKeyPath(), &error);
      if (!key) {
        if (skipped != nullptr) skipped->push_back("database.key_file: " + error);
        return sealed;
      }
    }
    if (std::string why = sealPasswordFile(p, *key); !why.empty()) {
      if (skipped != nullptr) {
        skipped->push_back("provider '" + p.name + "' password file " + p.auth.passwordFile +
                           " left in the clear: " + why);
      }
      continue;
    }
    ++sealed;
  }
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
