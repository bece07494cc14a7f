#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include "config/loader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "base/log.h"
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

namespace {

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, so that
// "enfroce" is one edit from "enforce".
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The known name closest to `word`, when it is close enough to be a plausible typo.
std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& known) {
  const std::string lower = lowercase(word);
  std::optional<std::string_view> best;
  size_t bestDistance = std::numeric_limits<size_t>::max();
  for (std::string_view k : known) {
    const size_t d = editDistance(lower, k);
    if (d < bestDistance) best = k, bestDistance = d;
  }
  const size_t allowed = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  if (best && bestDistance <= allowed) return best;
  return std::nullopt;
}

std::string joinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace

namespace detail {

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    default:
      return "nothing";
  }
}

bool isQuoted(const YAML::Node& n) { return n.Tag() == "!"; }

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

}  // namespace detail

using namespace detail;

namespace {

// Header field-name token characters (RFC 3261 §25.1).
bool isHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 &&
        std::string_view("-.!%*_+`'~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

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

MapReader::MapReader(Loader& loader, const YAML::Node& node, std::string path, int line,
                     std::vector<std::string_view> known)
    : path_(std::move(path)), line_(line) {
  if (node.IsNull()) {  // "public:" with nothing under it: every key takes its default
    valid_ = true;
    return;
  }
  if (!node.IsMap()) {
    loader.error(Loader::lineOf(node), path_,
                 "expected a mapping (indented 'key: value' lines), got " + describe(node));
    return;
  }
  valid_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const int keyLine = Loader::lineOf(it->first);
    if (!it->first.IsScalar()) {
      loader.error(keyLine, path_, "keys must be plain names, got " + describe(it->first));
      continue;
    }
    const std::string key = it->first.Scalar();
    const auto dup = std::find_if(entries_.begin(), entries_.end(),
                                  [&](const Entry& e) { return e.key == key; });
    if (dup != entries_.end()) {
      loader.error(keyLine, child(path_, key),
                   "written twice (first on line " + std::to_string(dup->line) + "); keep one");
      continue;
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string message = "unknown key '" + key + "'";
      if (auto near = closest(key, known)) {
        message += "; did you mean '" + std::string(*near) + "'?";
      } else {
        message += "; known keys here: " + joinNames(known);
      }
      loader.error(keyLine, path_, std::move(message));
      continue;
    }
    entries_.push_back({key, it->second, keyLine});
  }
}

YAML::Node MapReader::get(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return e.value;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

int MapReader::keyLine(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return e.line;
  }
  return line_;
}

std::optional<int64_t> Loader::readInt(const MapReader& m, std::string_view key, int64_t min,
                                       int64_t max) {
  const YAML::Node v = m.get(key);
  if (!v.IsDefined()) return std::nullopt;
  const int line = valueLine(m, key);
  const std::string path = m.pathOf(key);
  const std::string range =
      max == std::numeric_limits<int32_t>::max()
          ? "a whole number >= " + std::to_string(min)
          : "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!v.IsScalar()) {
    error(line, path, "expected " + range + ", got " + describe(v));
    return std::nullopt;
  }
  const std::string& text = v.Scalar();
  if (isQuoted(v)) {
    error(line, path, "expected " + range + ", got the string \"" + text + "\"; remove the quotes");
    return std::nullopt;
  }
  int64_t value = 0;
  const char* begin = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    error(line, path, "expected " + range + ", got '" + text + "'");
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(line, path, std::to_string(value) + " is out of range; use " + range);
    return std::nullopt;
  }
  return value;
}

std::optional<double> Loader::readNumber(const MapReader& m, std::string_view key, double min,
                                         double max, const std::string& range) {
  const YAML::Node v = m.get(key);
  if (!v.IsDefined()) return std::nullopt;
  const int line = valueLine(m, key);
  const std::string path = m.pathOf(key);
  if (!v.IsScalar() || isQuoted(v)) {
    error(line, path, "expected " + range + ", got " + describe(v));
    return std::nullopt;
  }
  const std::string& text = v.Scalar();
  double value = 0;
  const char* begin = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    error(line, path, "expected " + range + ", got '" + text + "'");
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(line, path, text + " is out of range; use " + range);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Loader::readBool(const MapReader& m, std::string_view key) {
  const YAML::Node v = m.get(key);
  if (!v.IsDefined()) return std::nullopt;
  bool value = false;
  if (!v.IsScalar() || isQuoted(v) || !YAML::convert<bool>::decode(v, value)) {
    error(valueLine(m, key), m.pathOf(key), "expected true or false, got " + describe(v));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Loader::readString(const YAML::Node& v, int line,
                                              const std::string& path) {
  if (!v.IsScalar()) {
    error(line, path,
          "expected a text value, got " + describe(v) + (v.IsNull() ? "; write \"\"" : ""));
    return std::nullopt;
  }
  return v.Scalar();
}

bool Loader::expectSequence(const MapReader& m, std::string_view key) {
  const YAML::Node v = m.get(key);
  if (!v.IsDefined() || v.IsNull()) return false;
  if (!v.IsSequence()) {
    error(valueLine(m, key), m.pathOf(key),
          "expected a list ([a, b] or '- item' lines), got " + describe(v));
    return false;
  }
  return true;
}

std::vector<Located<std::string>> Loader::readStringList(const MapReader& m, std::string_view key) {
  std::vector<Located<std::string>> out;
  if (!expectSequence(m, key)) return out;
  const YAML::Node list = m.get(key);
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string path = index(m.pathOf(key), i);
    const int line = item.IsNull() ? valueLine(m, key) : lineOf(item);
    if (auto s = readString(item, line, path)) out.push_back({*s, line, path});
  }
  return out;
}

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
      if (auto near = closest(*name, {"udp", "tcp", "tls"})) {
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

// An absent or empty list means "use the default".
bool listWritten(const MapReader& m, std::string_view key) {
  const YAML::Node v = m.get(key);
  return v.IsDefined() && !v.IsNull() && (!v.IsSequence() || v.size() > 0);
}

// The default source ACL: the targets' own addresses.
std::vector<Cidr> cidrsOfTargets(const std::vector<PeerTarget>& targets, bool& allLiteral) {
  std::vector<Cidr> out;
  allLiteral = true;
  for (const PeerTarget& t : targets) {
    auto ip = base::Address::parse(t.host, 0);
    if (!ip) {
      allLiteral = false;
      continue;
    }
    Cidr c = Cidr::single(*ip);
    if (std::none_of(out.begin(), out.end(), [&](const Cidr& o) { return o.text == c.text; })) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

void Loader::readPbx(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "pbx", line,
              {"listen", "targets", "allowed_sources", "allow_refer", "domain"});
  if (!m.valid()) return;
  PbxZone& pbx = c.pbx;
  pbx.listen = readListeners(m, true);
  if (!m.has("targets")) {
    error(m.line(), m.pathOf("targets"),
          "missing; say where the PBX is, e.g. targets: [ { host: 192.0.2.20, port: 5060, "
          "transport: udp } ]");
  } else if (expectSequence(m, "targets")) {
    const YAML::Node list = m.get("targets");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = index(m.pathOf("targets"), i);
      MapReader t(*this, list[i], path, lineOf(list[i]), {"host", "port", "transport"});
      if (!t.valid()) continue;
      if (auto target = readTarget(t, TransportKind::kUdp)) {
        targets_.push_back({*target, t.line(), path});
        pbx.targets.push_back(std::move(*target));
      }
    }
    if (list.size() == 0) {
      error(valueLine(m, "targets"), m.pathOf("targets"),
            "is empty; add the PBX, e.g. { host: 192.0.2.20, port: 5060, transport: udp }");
    }
  } else if (m.get("targets").IsNull()) {
    error(valueLine(m, "targets"), m.pathOf("targets"),
          "is empty; add the PBX, e.g. { host: 192.0.2.20, port: 5060, transport: udp }");
  }
  pbx.allowedSources = readCidrs(m, "allowed_sources");
  if (!listWritten(m, "allowed_sources")) {
    bool allLiteral = true;
    pbx.allowedSources = cidrsOfTargets(pbx.targets, allLiteral);
    if (!allLiteral) {
      error(m.line(), m.pathOf("allowed_sources"),
            "missing; give allowed_sources for targets addressed by name (the networks the "
            "PBX sends from)");
    }
  }
  setBool(m, "allow_refer", pbx.allowRefer);
  readDomain(m, pbx.domain);
}

void Loader::readTrunk(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "trunk", line, {"listen", "allow_refer", "providers"});
  if (!m.valid()) return;
  TrunkZone& trunk = c.trunk;
  trunk.listen = readListeners(m, true);
  setBool(m, "allow_refer", trunk.allowRefer);
  if (!m.has("providers") || m.get("providers").IsNull()) {
    error(m.has("providers") ? valueLine(m, "providers") : m.line(), m.pathOf("providers"),
          "missing; add at least one provider (name, host, port, transport)");
    return;
  }
  if (!expectSequence(m, "providers")) return;
  const YAML::Node list = m.get("providers");
  if (list.size() == 0) {
    error(valueLine(m, "providers"), m.pathOf("providers"),
          "is empty; add at least one provider (name, host, port, transport)");
  }
  std::map<std::string, int> names;  // name -> line, for duplicates
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = index(m.pathOf("providers"), i);
    MapReader p(*this, list[i], path, lineOf(list[i]),
                {"name", "host", "port", "transport", "priority", "allowed_sources",
                 "allow_plaintext", "domain", "tls", "auth"});
    if (!p.valid()) continue;
    Provider provider;
    if (!p.has("name")) {
      error(p.line(), p.pathOf("name"), "missing; give the provider a name, e.g. carrier-a");
    } else if (auto name = readString(p, "name")) {
      const int nameLine = valueLine(p, "name");
      const bool charsOk = std::all_of(name->begin(), name->end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_' ||
               ch == '.';
      });
      if (name->empty()) {
        error(nameLine, p.pathOf("name"), "is empty; give the provider a name, e.g. carrier-a");
      } else if (!charsOk) {
        // Names appear in logs, metrics labels and API paths.
        error(nameLine, p.pathOf("name"),
              "'" + *name + "' may only use letters, digits, '-', '_' and '.'");
      } else if (auto [it, inserted] = names.emplace(*name, nameLine); !inserted) {
        error(nameLine, p.pathOf("name"),
              "provider '" + *name + "' is already defined on line " + std::to_string(it->second) +
                  "; provider names must be unique");
      }
      provider.name = *name;
    }
    const std::string label = "provider '" + provider.name + "'";
    setInt(p, "priority", provider.priority, 0, 65535);
    setBool(p, "allow_plaintext", provider.allowPlaintext);
    readDomain(p, provider.domain);
    // Encryption by default: a provider without a transport is a tls provider.
    auto target = readTarget(p, TransportKind::kTls);
    if (target) {
      provider.target = *target;
      const int transportLine = p.has("transport") ? valueLine(p, "transport") : p.line();
      // Encryption by default; tls providers' certificate checks are in tls_section.cc.
      const bool plaintext = target->transport != TransportKind::kTls;
      if (plaintext && !provider.allowPlaintext) {
        error(transportLine, p.pathOf("transport"),
              label + " uses plaintext transport " + std::string(transportName(target->transport)) +
                  "; set transport: tls (recommended) or allow_plaintext: true to accept "
                  "unencrypted signalling");
      } else if (plaintext) {
        warn(transportLine, p.pathOf("transport"),
             label + " signalling is unencrypted (allow_plaintext: true)");
      }
      targets_.push_back({*target, p.line(), path});
    }
    provider.allowedSources = readCidrs(p, "allowed_sources");
    if (target && !listWritten(p, "allowed_sources")) {
      bool literal = true;
      provider.allowedSources = cidrsOfTargets({provider.target}, literal);
      if (!literal) {
        error(p.line(), p.pathOf("allowed_sources"),
              label +
                  " is addressed by name; give allowed_sources for providers addressed "
                  "by name (the networks the provider sends from)");
      }
    }
    if (p.has("tls")) readProviderTls(p.get("tls"), p.keyLine("tls"), p.pathOf("tls"), provider);
    if (p.has("auth")) {
      readProviderAuth(p.get("auth"), p.keyLine("auth"), p.pathOf("auth"), provider);
    }
    trunk.providers.push_back(std::move(provider));
  }
  std::stable_sort(trunk.providers.begin(), trunk.providers.end(),
                   [](const Provider& a, const Provider& b) { return a.priority < b.priority; });
}

void Loader::readPublic(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "public", line, {"listen", "allow_refer", "auth"});
  if (!m.valid()) return;
  PublicZone zone;
  zone.listen = readListeners(m, false);
  setBool(m, "allow_refer", zone.allowRefer);
  if (m.has("auth")) readPublicAuth(m.get("auth"), m.keyLine("auth"), zone);
  c.publicZone = std::move(zone);
}

void Loader::readTimers(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "timers", line, {"t1_ms", "t2_ms", "t4_ms"});
  if (!m.valid()) return;
  constexpr int64_t kMax = 600000;  // ten minutes: beyond that a timer is a typo
  setDuration(m, "t1_ms", c.timers.t1, 1, kMax);
  setDuration(m, "t2_ms", c.timers.t2, 1, kMax);
  setDuration(m, "t4_ms", c.timers.t4, 1, kMax);
  if (c.timers.t1 > c.timers.t2) {
    const int at = m.has("t1_ms") ? valueLine(m, "t1_ms") : valueLine(m, "t2_ms");
    error(at, m.pathOf("t1_ms"),
          "t1_ms (" + std::to_string(c.timers.t1.count()) + ") is larger than t2_ms (" +
              std::to_string(c.timers.t2.count()) + "); RFC 3261 needs t1 <= t2");
  }
}

void Loader::readHealth(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "health", line, {"interval_ms", "failures_before_down"});
  if (!m.valid()) return;
  setDuration(m, "interval_ms", c.health.interval, 0, 86400000);
  setInt(m, "failures_before_down", c.health.failuresBeforeDown, 1, 100);
}

void Loader::readB2bua(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "b2bua", line,
              {"copy_headers", "user_agent", "max_call_duration_s", "no_answer_timeout_s"});
  if (!m.valid()) return;
  if (m.has("copy_headers")) {
    // The B2BUA writes these itself; copying them across would leak the other side's
    // topology or credentials.
    static const std::set<std::string> kBuiltHere = {"via",
                                                     "v",
                                                     "route",
                                                     "record-route",
                                                     "contact",
                                                     "m",
                                                     "call-id",
                                                     "i",
                                                     "cseq",
                                                     "from",
                                                     "f",
                                                     "to",
                                                     "t",
                                                     "max-forwards",
                                                     "content-length",
                                                     "l",
                                                     "authorization",
                                                     "proxy-authorization",
                                                     "www-authenticate",
                                                     "proxy-authenticate"};
    std::vector<std::string> headers;
    for (const auto& item : readStringList(m, "copy_headers")) {
      if (!isHeaderName(item.value)) {
        error(item.line, item.path, "'" + item.value + "' is not a header name");
      } else if (kBuiltHere.contains(lowercase(item.value))) {
        error(item.line, item.path,
              "'" + item.value +
                  "' is written by the B2BUA itself and must not be copied "
                  "between legs (it would leak topology or credentials); remove it");
      } else {
        headers.push_back(item.value);
      }
    }
    c.b2bua.copyHeaders = std::move(headers);
  }
  if (m.has("user_agent")) {
    if (auto ua = readString(m, "user_agent")) {
      const bool printable = std::all_of(ua->begin(), ua->end(), [](char ch) {
        return static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7F;
      });
      if (!printable) {
        error(valueLine(m, "user_agent"), m.pathOf("user_agent"),
              "contains control characters; use plain text");
      } else {
        c.b2bua.userAgent = *ua;
      }
    }
  }
  setDuration(m, "max_call_duration_s", c.b2bua.maxCallDuration, 0, 7 * 86400);
  setDuration(m, "no_answer_timeout_s", c.b2bua.noAnswerTimeout, 1, 86400);
}

void Loader::readTcp(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "tcp", line,
              {"idle_timeout_s", "max_connections_per_source", "max_connections"});
  if (!m.valid()) return;
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  setDuration(m, "idle_timeout_s", c.tcp.idleTimeout, 1, 86400);
  setInt(m, "max_connections_per_source", c.tcp.maxConnectionsPerSource, 1, kIntMax);
  setInt(m, "max_connections", c.tcp.maxConnections, 1, kIntMax);
}

void Loader::readLimits(const YAML::Node& node, int line, Config& c) {
  MapReader m(
      *this, node, "limits", line,
      {"max_message_bytes", "max_headers", "max_vias", "max_uri_length", "max_header_value_bytes"});
  if (!m.valid()) return;
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  setInt(m, "max_message_bytes", c.limits.maxMessageBytes, 1, kIntMax);
  setInt(m, "max_headers", c.limits.maxHeaders, 1, kIntMax);
  setInt(m, "max_vias", c.limits.maxVias, 1, kIntMax);
  setInt(m, "max_uri_length", c.limits.maxUriLength, 1, kIntMax);
  setInt(m, "max_header_value_bytes", c.limits.maxHeaderValueBytes, 1, kIntMax);
}

void Loader::readLog(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "log", line,
              {"level", "format", "modules", "output", "file", "syslog_socket"});
  if (!m.valid()) return;
  // log::validateSettings is the authority on names; ask it about one value at a time so that
  // each error carries its own line.
  auto check = [this](const log::Settings& s, int at, const std::string& path) {
    const std::string why = log::validateSettings(s);
    if (!why.empty()) error(at, path, why);
    return why.empty();
  };
  if (m.has("level")) {
    if (auto level = readString(m, "level")) {
      log::Settings s;
      s.level = *level;
      if (check(s, valueLine(m, "level"), m.pathOf("level"))) c.log.level = *level;
    }
  }
  if (m.has("format")) {
    if (auto format = readString(m, "format")) {
      log::Settings s;
      s.format = *format;
      if (check(s, valueLine(m, "format"), m.pathOf("format"))) c.log.format = *format;
    }
  }
  // Where lines go; log::validateSettings judges the three together (a file output needs a
  // file), so the error points at output.
  log::Settings where;
  where.output = c.log.output;
  where.file = c.log.file;
  where.syslogSocket = c.log.syslogSocket;
  if (m.has("output")) {
    if (auto v = readString(m, "output")) where.output = *v;
  }
  if (m.has("file")) {
    if (auto v = readString(m, "file")) where.file = *v;
  }
  if (m.has("syslog_socket")) {
    if (auto v = readString(m, "syslog_socket")) where.syslogSocket = *v;
  }
  const std::string key = m.has("output") ? "output" : m.has("file") ? "file" : "syslog_socket";
  if (check(where, m.has(key) ? valueLine(m, key) : line, m.pathOf(key))) {
    c.log.output = where.output;
    c.log.file = where.file;
    c.log.syslogSocket = where.syslogSocket;
  }
  if (m.has("modules")) {
    std::vector<std::string_view> modules;
    for (size_t i = 0; i < static_cast<size_t>(log::Module::kCount); ++i) {
      modules.push_back(log::moduleName(static_cast<log::Module>(i)));
    }
    MapReader mods(*this, m.get("modules"), m.pathOf("modules"), m.keyLine("modules"), modules);
    if (!mods.valid()) return;
    for (std::string_view module : modules) {
      if (!mods.has(module)) continue;
      if (auto level = readString(mods, module)) {
        log::Settings s;
        s.modules[std::string(module)] = *level;
        if (check(s, valueLine(mods, module), mods.pathOf(module))) {
          c.log.modules[std::string(module)] = *level;
        }
      }
    }
  }
}

void Loader::readDatabase(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "database", line, {"path"});
  if (!m.valid() || !m.has("path")) return;
  auto path = readString(m, "path");
  if (!path) return;
  if (path->empty()) {
    error(valueLine(m, "path"), m.pathOf("path"), "is empty; give a file name, e.g. trunkguard.db");
    return;
  }
  c.database.path = *path;
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

LoadResult Loader::load(const std::string& yaml) {
  LoadResult result;
  auto config = std::make_shared<Config>();
  config->sourcePath = file_;
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (!root.IsDefined() || root.IsNull()) {
      error(0, "", "the file is empty; start from config/trunkguard.example.yaml");
    } else {
      MapReader m(*this, root, "", 1,
                  {"workers", "pbx", "trunk", "public", "timers", "health", "b2bua", "tcp",
                   "limits", "log", "database", "guard", "policy", "tls", "accounts", "dns"});
      if (m.valid()) {
        setInt(m, "workers", config->workers, 1, 64);
        if (!m.has("pbx")) {
          error(1, "pbx", "missing; the pbx zone (listen, targets) is required");
        } else {
          readPbx(m.get("pbx"), m.keyLine("pbx"), *config);
        }
        if (!m.has("trunk")) {
          error(1, "trunk", "missing; the trunk zone (listen, providers) is required");
        } else {
          readTrunk(m.get("trunk"), m.keyLine("trunk"), *config);
        }
        if (m.has("public")) readPublic(m.get("public"), m.keyLine("public"), *config);
        if (m.has("timers")) readTimers(m.get("timers"), m.keyLine("timers"), *config);
        if (m.has("health")) readHealth(m.get("health"), m.keyLine("health"), *config);
        if (m.has("b2bua")) readB2bua(m.get("b2bua"), m.keyLine("b2bua"), *config);
        if (m.has("tcp")) readTcp(m.get("tcp"), m.keyLine("tcp"), *config);
        if (m.has("limits")) readLimits(m.get("limits"), m.keyLine("limits"), *config);
        if (m.has("log")) readLog(m.get("log"), m.keyLine("log"), *config);
        if (m.has("database")) readDatabase(m.get("database"), m.keyLine("database"), *config);
        if (m.has("guard")) readGuard(m.get("guard"), m.keyLine("guard"), *config);
        if (m.has("policy")) readPolicy(m.get("policy"), m.keyLine("policy"), *config);
        if (m.has("tls")) readTls(m.get("tls"), m.keyLine("tls"), *config);
        if (m.has("accounts")) readAccounts(m.get("accounts"), m.keyLine("accounts"), *config);
        if (m.has("dns")) readDns(m.get("dns"), m.keyLine("dns"), *config);
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
  // Top to bottom reads best; errors found in the same place keep the order they were found.
  const auto byLine = [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; };
  std::stable_sort(errors_.begin(), errors_.end(), byLine);
  std::stable_sort(warnings_.begin(), warnings_.end(), byLine);
  result.errors = std::move(errors_);
  for (const ConfigError& w : warnings_) result.warnings.push_back(w.toString());
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

std::string Loader::resolvePath(const std::string& path) const {
  const std::filesystem::path p(path);
  if (baseDir_.empty() || p.is_absolute()) return path;
  return (std::filesystem::path(baseDir_) / p).lexically_normal().string();
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
