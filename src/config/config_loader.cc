#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "config/loader.h"
#include "sip/host.h"

namespace tg::config {

std::string ConfigError::toString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!keyPath.empty()) s += keyPath + ": ";
  s += message;
  return s;
}

using namespace detail;

namespace {

// The listening socket a listener needs: tcp and tls share TCP ports, udp has its own.
std::string socketKey(TransportKind t, const base::Address& a) {
  return std::string(t == TransportKind::kUdp ? "udp " : "tcp ") + a.toString();
}

bool isUnspecified(const base::Address& a) {
  const std::string ip = a.ip();
  return ip == "0.0.0.0" || ip == "::";
}

}  // namespace

namespace detail {

std::vector<Listener> Loader::readListeners(const MapReader& m, bool required) {
  std::vector<Listener> out;
  if (!m.has("listen") && required) {
    error(m.line(), m.pathOf("listen"),
          "missing; add at least one listener, e.g. listen: [ \"udp://127.0.0.1:5060\" ]");
    return out;
  }
  const size_t errorsBefore = errors_.size();
  for (const auto& item : readStringList(m, "listen")) {
    std::string why;
    auto listener = parseListener(item.value, &why);
    if (!listener) {
      error(item.line, item.path, why);
      continue;
    }
    if (isUnspecified(listener->address)) {
      warn(item.line, item.path,
           "'" + listener->text +
               "' listens on all interfaces; list specific addresses "
               "unless every interface should accept this zone's traffic");
    }
    listeners_.push_back({*listener, item.line, item.path});
    out.push_back(std::move(*listener));
  }
  if (required && out.empty() && errors_.size() == errorsBefore) {
    error(valueLine(m, "listen"), m.pathOf("listen"),
          "is empty; add at least one listener, e.g. \"udp://127.0.0.1:5060\"");
  }
  return out;
}

std::vector<Cidr> Loader::readCidrs(const MapReader& m, std::string_view key) {
  std::vector<Cidr> out;
  for (const auto& item : readStringList(m, key)) {
    std::string why;
    if (auto cidr = Cidr::parse(item.value, &why)) {
      if (cidr->prefixLength == 0) {
        warn(item.line, item.path,
             "'" + item.value + "' accepts traffic from any address; list the peer's networks");
      }
      out.push_back(std::move(*cidr));
    } else {
      error(item.line, item.path, why);
    }
  }
  return out;
}

std::optional<PeerTarget> Loader::readTarget(const MapReader& m, TransportKind defaultTransport) {
  PeerTarget target;
  target.transport = defaultTransport;
  bool ok = true;
  if (auto t = m.get("transport"); t.IsDefined()) {
    auto name = readString(m, "transport");
    auto kind = name ? parseTransportName(*name) : std::nullopt;
    if (name && !kind) {
      std::string message = "unknown value '" + *name + "'; use udp, tcp or tls";
      if (auto near = closestName(*name, {"udp", "tcp", "tls"})) {
        message = "unknown value '" + *name + "'; did you mean '" + std::string(*near) +
                  "'? (use udp, tcp or tls)";
      }
      error(valueLine(m, "transport"), m.pathOf("transport"), std::move(message));
    }
    if (kind) {
      target.transport = *kind;
    } else {
      ok = false;
    }
  }
  target.port = target.transport == TransportKind::kTls ? 5061 : 5060;
  setInt(m, "port", target.port, 1, 65535);
  target.explicitPort = m.has("port");
  if (!m.has("host")) {
    error(m.line(), m.pathOf("host"), "missing; give the peer's IP address or DNS name");
    return std::nullopt;
  }
  auto host = readString(m, "host");
  if (!host) return std::nullopt;
  std::string_view h = *host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (auto ip = base::Address::parse(h, 0)) {
    target.host = ip->ip();  // canonical form, so that comparisons below are exact
  } else if (sip::isHostname(h)) {
    target.host = std::string(h);
  } else {
    error(valueLine(m, "host"), m.pathOf("host"),
          "'" + *host + "' is neither an IP address nor a host name");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return target;
}

void Loader::readDomain(const MapReader& m, std::string& out) {
  if (!m.has("domain")) return;
  auto domain = readString(m, "domain");
  if (!domain) return;
  if (!domain->empty() && sip::classifyHost(*domain) == sip::HostType::kNone) {
    error(valueLine(m, "domain"), m.pathOf("domain"),
          "'" + *domain + "' is not a host name or IP address; write e.g. pbx.example.com");
    return;
  }
  out = *domain;
}

void Loader::checkListeners() {
  std::map<std::string, const Located<Listener>*> seen;
  for (const auto& l : listeners_) {
    const std::string key = socketKey(l.value.transport, l.value.address);
    auto [it, inserted] = seen.emplace(key, &l);
    if (!inserted) {
      const auto& first = *it->second;
      error(l.line, l.path,
            "'" + l.value.text + "' uses the same socket as '" + first.value.text + "' (" +
                first.path + ", line " + std::to_string(first.line) +
                "); give each listener its own address or port");
    }
  }
}

// A target that is one of our own listeners would loop every call back into the gateway.
void Loader::checkTargetsAreNotOurs() {
  for (const auto& t : targets_) {
    auto ip = base::Address::parse(t.value.host, t.value.port);
    if (!ip) continue;
    for (const auto& l : listeners_) {
      if (socketKey(l.value.transport, l.value.address) == socketKey(t.value.transport, *ip)) {
        error(t.line, t.path,
              ip->toString() + " is trunkguard's own listener '" + l.value.text + "' (" + l.path +
                  "); point it at the peer's address instead");
      }
    }
  }
}

LoadResult Loader::load(const std::string& yaml, std::span<const Section> table) {
  LoadResult result;
  auto config = std::make_shared<Config>();
  config->sourcePath = file_;
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (!root.IsDefined() || root.IsNull()) {
      error(0, "", "the file is empty; start from config/trunkguard.example.yaml");
    } else {
      std::vector<std::string_view> keys;
      for (const Section& s : table) keys.push_back(s.key);
      MapReader m(*this, root, "", 1, std::move(keys));
      if (m.valid()) {
        for (const Section& s : table) {
          if (m.has(s.key)) {
            s.read(*this, m.get(s.key), m.keyLine(s.key), *config);
            flatten(m.get(s.key), std::string(s.key), config->written);
          } else if (!s.missing.empty()) {
            error(1, std::string(s.key), std::string(s.missing));
          }
        }
        checkPolicy(m.has("policy") ? m.keyLine("policy") : 0, *config);
        checkMedia(m.has("media") ? m.keyLine("media") : 0, *config);
        checkListeners();
        checkTargetsAreNotOurs();
        checkTls(*config);
      }
    }
  } catch (const YAML::Exception& e) {
    // Syntax errors: yaml-cpp throws with a 0-based mark.
    error(e.mark.is_null() ? 0 : e.mark.line + 1, "",
          "YAML syntax error: " + e.msg + " (check indentation, quotes and colons)");
  } catch (const std::exception& e) {
    error(0, "", std::string("could not read the configuration: ") + e.what());
  }

  if (!baseDir_.empty()) {
    const std::filesystem::path db(config->database.path);
    if (db.is_relative() && config->database.path != ":memory:") {
      config->database.path = (std::filesystem::path(baseDir_) / db).lexically_normal().string();
    }
  }
  unsealProviderPasswords(*config);
  finish(result);
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

}  // namespace detail

LoadResult loadConfigString(const std::string& yaml, const std::string& nameForMessages) {
  return Loader(nameForMessages, "").load(yaml);
}

LoadResult loadConfigFile(const std::string& path) {
  std::error_code ec;
  std::string why;
  if (std::filesystem::is_directory(path, ec)) {
    why = "is a directory";
  } else {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      if (!in.bad()) {
        // Relative paths inside (database) are relative to the file; absolute so that a later
        // chdir cannot move them.
        std::filesystem::path dir = std::filesystem::path(path).parent_path();
        if (dir.empty()) dir = ".";
        const std::filesystem::path abs = std::filesystem::absolute(dir, ec);
        return Loader(path, ec ? dir.string() : abs.string()).load(text.str());
      }
    }
    why = std::strerror(errno);
  }
  LoadResult result;
  result.readFailed = true;
  result.errors.push_back({path, 0, "",
                           "cannot read the file (" + why +
                               "); check the path and permissions, or start from "
                               "config/trunkguard.example.yaml"});
  return result;
}

}  // namespace tg::config
