// A provider's `auth:` (provider_auth_config.h): the credential vault. Secrets come from a file
// (its first line) or an environment variable, are read once here, and never appear in an
// error, a warning or a log line: messages name where the secret lives, not what it is.

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "base/address.h"
#include "base/sealed_secret.h"
#include "config/credentials.h"
#include "config/loader.h"
#include "sip/host.h"

namespace tg::config::detail {
namespace {

// The first line of `path`, without its line ending. False (with *why) when unreadable.
bool readFirstLine(const std::string& path, std::string& out, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = std::strerror(errno);
    return false;
  }
  std::getline(in, out);
  if (in.bad()) {
    *why = "read error";
    return false;
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

// "host", "host:port", "[v6]" or "[v6]:port".
bool splitHostPort(std::string_view text, std::string& host, uint16_t& port) {
  port = 0;
  std::string_view h = text;
  std::string_view p;
  bool hasPort = false;
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = h.substr(close + 1);
    h = h.substr(1, close - 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      p = rest.substr(1);
      hasPort = true;
    }
  } else if (const size_t colon = h.find(':'); colon != std::string_view::npos) {
    if (h.find(':', colon + 1) != std::string_view::npos) return false;  // bare IPv6: use []
    p = h.substr(colon + 1);
    h = h.substr(0, colon);
    hasPort = true;
  }
  if (hasPort) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || value == 0 ||
        value > 65535) {
      return false;
    }
    port = static_cast<uint16_t>(value);
  }
  if (auto ip = base::Address::parse(h, 0)) {
    host = ip->ip();
    return true;
  }
  if (!sip::isHostname(h)) return false;
  host = std::string(h);
  return true;
}

}  // namespace

void Loader::readProviderAuth(const YAML::Node& node, int line, const std::string& path,
                              Provider& provider) {
  MapReader m(
      *this, node, path, line,
      {"username", "password_file", "password_env", "realm", "register", "expires_s", "registrar"});
  if (!m.valid()) return;
  ProviderAuth& auth = provider.auth;
  auth.enabled = true;
  const std::string label = "provider '" + provider.name + "'";

  if (!m.has("username")) {
    error(m.line(), m.pathOf("username"),
          "missing; give the user name the provider assigned to this trunk");
  } else if (auto user = readString(m, "username")) {
    if (user->empty()) {
      error(valueLine(m, "username"), m.pathOf("username"), "is empty; give the user name");
    } else if (std::any_of(user->begin(), user->end(), [](char ch) {
                 return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
               })) {
      error(valueLine(m, "username"), m.pathOf("username"), "contains control characters");
    } else {
      auth.username = *user;
    }
  }

  const bool hasFile = m.has("password_file");
  const bool hasEnv = m.has("password_env");
  if (hasFile && hasEnv) {
    error(m.keyLine("password_env"), m.pathOf("password_env"),
          "give either password_file or password_env, not both");
  } else if (!hasFile && !hasEnv) {
    error(m.line(), m.pathOf("password_file"),
          "missing; " + label + " needs a secret: password_file: /etc/trunkguard/" + provider.name +
              ".secret (first line is the password) or password_env: VARIABLE_NAME. The "
              "password itself never goes into this file");
  } else if (hasFile) {
    const int at = valueLine(m, "password_file");
    const std::string where = m.pathOf("password_file");
    if (auto file = readString(m, "password_file")) {
      std::string why;
      const auto credential = credentialPath(*file, &why);  // credential:NAME (systemd)
      const std::string full = credential ? *credential : resolvePath(*file);
      auth.passwordSource = "file " + full;
      std::string secret;
      struct stat st {};
      if (file->empty()) {
        error(at, where, "is empty; give the path of the file holding the password");
      } else if (credential && credential->empty()) {
        error(at, where, why);
      } else if (std::string open = base::filePermissionProblem(full, true);
                 !open.empty() && ::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        // World-readable: every local user has the provider's password. Refused, not warned.
        error(at, where, "the password file is readable by every user: " + open);
      } else if (!readFirstLine(full, secret, &why)) {
        error(at, where, "cannot read the password file " + full + " (" + why + ")");
      } else if (secret.empty()) {
        error(at, where,
              "the password file " + full + " is empty (its first line is the password)");
      } else {
        auth.password = Secret(std::move(secret));
        auth.passwordLine = at;
        if (!credential) auth.passwordFile = full;
        if (::stat(full.c_str(), &st) == 0 && (st.st_mode & S_IRWXG) != 0) {
          warn(at, where,
               "the password file " + full + " can be read by its group; run chmod 600 " + full +
                   " unless that group is the service's own");
        }
      }
    }
  } else {
    const int at = valueLine(m, "password_env");
    const std::string where = m.pathOf("password_env");
    if (auto name = readString(m, "password_env")) {
      auth.passwordSource = "env " + *name;
      const char* value = name->empty() ? nullptr : std::getenv(name->c_str());
      if (name->empty()) {
        error(at, where, "is empty; give the name of the environment variable");
      } else if (value == nullptr) {
        error(at, where,
              "the environment variable " + *name + " is not set; set it before starting");
      } else if (*value == '\0') {
        error(at, where, "the environment variable " + *name + " is empty");
      } else {
        auth.password = Secret(value);
        auth.passwordLine = at;
      }
    }
  }

  setString(m, "realm", auth.realm);
  setBool(m, "register", auth.registerEnabled);
  setDuration(m, "expires_s", auth.expires, 60, 86400);
  if (m.has("registrar")) {
    if (auto text = readString(m, "registrar")) {
      if (!splitHostPort(*text, auth.registrarHost, auth.registrarPort)) {
        error(valueLine(m, "registrar"), m.pathOf("registrar"),
              "'" + *text + "' is not a host name or IP address (with an optional :port)");
      }
    }
  }
  if (m.has("registrar") && !auth.registerEnabled) {
    warn(m.keyLine("registrar"), m.pathOf("registrar"), "is ignored without register: true");
  }
}

// A password written sealed (`trunkguard` seals a plaintext password file at start, app/
// secrets_at_rest.h) opens only with the database's key and only for its own provider.
void Loader::unsealProviderPasswords(Config& c) {
  std::optional<base::SealingKey> key;
  std::string keyError;
  bool keyTried = false;
  for (Provider& provider : c.trunk.providers) {
    ProviderAuth& auth = provider.auth;
    if (!auth.enabled || !base::isSealed(auth.password.reveal())) continue;
    const std::string where = "trunk.providers." + provider.name + ".auth";
    if (!keyTried) {
      keyTried = true;
      key = base::SealingKey::load(c.database.sealingKeyPath(), &keyError);
    }
    if (!key) {
      error(auth.passwordLine, where,
            "the password (" + auth.passwordSource +
                ") is sealed, and its key cannot be used: " + keyError);
      continue;
    }
    std::string why;
    auto plain =
        base::unseal(*key, auth.password.reveal(), providerPasswordContext(provider.name), &why);
    if (!plain) {
      error(auth.passwordLine, where,
            "the password (" + auth.passwordSource + ") is sealed but does not open with " +
                c.database.sealingKeyPath() + ": " + why);
      continue;
    }
    auth.password = Secret(std::move(*plain));
    auth.passwordWasSealed = true;
  }
}

}  // namespace tg::config::detail

namespace tg::config {

std::string providerPasswordContext(std::string_view provider) {
  return "provider " + std::string(provider) + " password";
}

}  // namespace tg::config
