// The top-level `store:` section (store_config.h): the state shared by the gateways of a
// cluster, in memory (one gateway) or on Redis (docs/cluster.md).

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

#include "base/sealed_secret.h"
#include "config/credentials.h"
#include "config/loader.h"

namespace tg::config::detail {

namespace {

bool validNodeId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char ch : id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

// redis://[user@]host[:port][/database]: false and *why when it is not.
bool parseUrl(std::string_view url, StoreSettings& s, std::string* why) {
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) {
    *why =
        "TLS to Redis (rediss://) needs hiredis 1.0 with SSL, and this build has the Debian 12 "
        "hiredis 0.14; reach Redis over loopback or a private network, or through stunnel";
    return false;
  }
  if (!url.starts_with(kScheme)) {
    *why = "'" + std::string(url) + "' is not a Redis URL; write redis://host:port, e.g. " +
           "redis://127.0.0.1:6379";
    return false;
  }
  std::string_view rest = url.substr(kScheme.size());
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view user = rest.substr(0, at);
    if (user.find(':') != std::string_view::npos) {
      *why =
          "the URL holds a password; the password never goes into this file: give "
          "store.password_file";
      return false;
    }
    s.username = std::string(user);
    rest.remove_prefix(at + 1);
  }
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    int n = -1;
    const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), n);
    if (!db.empty() && (ec != std::errc() || end != db.data() + db.size() || n < 0 || n > 15)) {
      *why = "the database number after '/' must be 0 to 15";
      return false;
    }
    s.database = db.empty() ? 0 : n;
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {  // [v6]:port
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      *why = "an IPv6 address needs its closing ']'";
      return false;
    }
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        *why = "expected ':port' after ']'";
        return false;
      }
      port = rest.substr(close + 2);
    }
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) {
    *why = "the URL names no host";
    return false;
  }
  s.host = std::string(host);
  if (!port.empty()) {
    int p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
      *why = "'" + std::string(port) + "' is not a port (1 to 65535)";
      return false;
    }
    s.port = static_cast<uint16_t>(p);
  }
  return true;
}

void readPasswordFile(Loader& loader, const MapReader& m, StoreSettings& s) {
  const int at = Loader::valueLine(m, "password_file");
  const std::string where = m.pathOf("password_file");
  const auto file = loader.readString(m, "password_file");
  if (!file) return;
  if (file->empty()) {
    loader.error(at, where, "is empty; give the path of the file holding the Redis password");
    return;
  }
  std::string why;
  const auto credential = credentialPath(*file, &why);  // credential:NAME (systemd)
  if (credential && credential->empty()) {
    loader.error(at, where, why);
    return;
  }
  const std::string full = credential ? *credential : loader.resolvePath(*file);
  struct stat st {};
  if (std::string open = base::filePermissionProblem(full, true);
      !open.empty() && ::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    loader.error(at, where, "the password file is readable by every user: " + open);
    return;
  }
  std::ifstream in(full, std::ios::binary);
  std::string secret;
  if (!in || !std::getline(in, secret)) {
    loader.error(at, where,
                 "cannot read the password file " + full + " (" +
                     (errno != 0 ? std::strerror(errno) : "empty") + ")");
    return;
  }
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) {
    loader.error(at, where,
                 "the password file " + full + " is empty (its first line is the password)");
    return;
  }
  s.password = Secret(std::move(secret));
}

}  // namespace

void readStore(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "store", line,
              {"type", "url", "password_file", "node_id", "nodes", "timeout_ms", "on_failure"});
  if (!m.valid()) return;
  StoreSettings& s = c.store;
  if (m.has("type")) {
    if (auto type = loader.readString(m, "type")) {
      if (*type == "memory") {
        s.type = StoreSettings::Type::kMemory;
      } else if (*type == "redis") {
        s.type = StoreSettings::Type::kRedis;
      } else {
        loader.error(Loader::valueLine(m, "type"), m.pathOf("type"),
                     "'" + *type + "' is not a store type; write memory or redis");
      }
    }
  }
  if (m.has("on_failure")) {
    if (auto v = loader.readString(m, "on_failure")) {
      if (*v == "local") {
        s.onFailure = StoreSettings::OnFailure::kLocal;
      } else if (*v == "refuse") {
        s.onFailure = StoreSettings::OnFailure::kRefuse;
      } else {
        loader.error(Loader::valueLine(m, "on_failure"), m.pathOf("on_failure"),
                     "'" + *v +
                         "' is not a failure mode; write local (count locally, limits divided "
                         "by nodes) or refuse (refuse new calls)");
      }
    }
  }
  loader.setInt(m, "nodes", s.nodes, 1, 64);
  loader.setDuration(m, "timeout_ms", s.timeout, 1, 10000);
  if (m.has("node_id")) {
    if (auto id = loader.readString(m, "node_id")) {
      if (validNodeId(*id)) {
        s.nodeId = *id;
      } else {
        loader.error(Loader::valueLine(m, "node_id"), m.pathOf("node_id"),
                     "'" + *id + "' is not a node name: 1 to 64 letters, digits, '-', '_' or '.'");
      }
    }
  }
  if (m.has("url")) {
    if (auto url = loader.readString(m, "url")) {
      std::string why;
      s.url = *url;
      if (!parseUrl(*url, s, &why)) loader.error(Loader::valueLine(m, "url"), m.pathOf("url"), why);
    }
  }
  if (m.has("password_file")) readPasswordFile(loader, m, s);
  if (s.type != StoreSettings::Type::kRedis) return;
  if (!m.has("url")) {
    loader.error(m.line(), m.pathOf("url"),
                 "missing; type redis needs the server, e.g. url: redis://127.0.0.1:6379");
  }
  if (!m.has("node_id")) {
    loader.error(m.line(), m.pathOf("node_id"),
                 "missing; type redis needs this gateway's own name in the cluster, e.g. "
                 "node_id: gw1 (every gateway sharing the Redis has its own)");
  }
}

}  // namespace tg::config::detail
