#pragma once

// The YAML reading machinery behind config_loader.cc, shared with the files that read one
// section each (guard_section.cc, policy_section.cc). Internal to src/config.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_loader.h"

namespace tg::config::detail {

std::string child(const std::string& path, std::string_view key);  // "a.b"
std::string index(const std::string& path, size_t i);              // "a[3]"
std::string describe(const YAML::Node& n);                         // for "got ..." messages
// A scalar written in quotes ("5060") is a string in YAML, not a number or a boolean.
bool isQuoted(const YAML::Node& n);

// A value together with where it was written, for checks that span several keys.
template <typename T>
struct Located {
  T value;
  int line = 0;
  std::string path;
};

class Loader;

// One YAML mapping being read: reports keys the schema does not know (with the closest known
// key) and keys written twice, then hands out values by name.
class MapReader {
 public:
  MapReader(Loader& loader, const YAML::Node& node, std::string path, int line,
            std::vector<std::string_view> known);

  bool valid() const { return valid_; }
  // The value for `key`, or an undefined node when absent.
  YAML::Node get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).IsDefined(); }
  // The line of the key itself: null values carry no useful mark of their own.
  int keyLine(std::string_view key) const;
  const std::string& path() const { return path_; }
  int line() const { return line_; }
  std::string pathOf(std::string_view key) const { return child(path_, key); }

 private:
  struct Entry {
    std::string key;
    YAML::Node value;
    int line;
  };
  std::vector<Entry> entries_;
  std::string path_;
  int line_;
  bool valid_ = false;
};

class Loader {
 public:
  Loader(std::string file, std::string baseDir)
      : file_(std::move(file)), baseDir_(std::move(baseDir)) {}

  LoadResult load(const std::string& yaml);

  void error(int line, const std::string& path, std::string message) {
    errors_.push_back({file_, line, path, std::move(message)});
  }
  void warn(int line, const std::string& path, std::string message) {
    warnings_.push_back({file_, line, path, std::move(message)});
  }

  static int lineOf(const YAML::Node& n) {
    if (!n.IsDefined()) return 0;
    const YAML::Mark m = n.Mark();
    return m.is_null() ? 0 : m.line + 1;
  }
  // A null value's mark points past it; blame the key's line instead.
  static int valueLine(const MapReader& m, std::string_view key) {
    const YAML::Node v = m.get(key);
    return v.IsNull() ? m.keyLine(key) : lineOf(v);
  }

  // Typed readers (public: the section readers in *_section.cc use them): each reports its own error and returns nullopt on a bad value.
  std::optional<int64_t> readInt(const MapReader& m, std::string_view key, int64_t min,
                                 int64_t max);
  std::optional<bool> readBool(const MapReader& m, std::string_view key);
  // A number that may have a fraction (rates, ratios, factors); `range` says what is accepted.
  std::optional<double> readNumber(const MapReader& m, std::string_view key, double min,
                                   double max, const std::string& range);
  std::optional<std::string> readString(const YAML::Node& v, int line, const std::string& path);
  std::optional<std::string> readString(const MapReader& m, std::string_view key) {
    return readString(m.get(key), valueLine(m, key), m.pathOf(key));
  }
  // Items of a list of strings with their lines; a missing key or null gives an empty list.
  std::vector<Located<std::string>> readStringList(const MapReader& m, std::string_view key);
  bool expectSequence(const MapReader& m, std::string_view key);

  template <typename T>
  void setInt(const MapReader& m, std::string_view key, T& out, int64_t min, int64_t max) {
    if (auto v = readInt(m, key, min, max)) out = static_cast<T>(*v);
  }
  template <typename D>
  void setDuration(const MapReader& m, std::string_view key, D& out, int64_t min, int64_t max) {
    if (auto v = readInt(m, key, min, max)) out = D(*v);
  }
  void setBool(const MapReader& m, std::string_view key, bool& out) {
    if (auto v = readBool(m, key)) out = *v;
  }
  void setString(const MapReader& m, std::string_view key, std::string& out) {
    if (!m.has(key)) return;
    if (auto v = readString(m, key)) out = *v;
  }

  std::vector<Listener> readListeners(const MapReader& m, bool required);
  std::vector<Cidr> readCidrs(const MapReader& m, std::string_view key);
  std::optional<PeerTarget> readTarget(const MapReader& m, TransportKind defaultTransport);
  void readDomain(const MapReader& m, std::string& out);

  void readPbx(const YAML::Node& node, int line, Config& c);
  void readTrunk(const YAML::Node& node, int line, Config& c);
  void readPublic(const YAML::Node& node, int line, Config& c);
  void readTimers(const YAML::Node& node, int line, Config& c);
  void readHealth(const YAML::Node& node, int line, Config& c);
  void readB2bua(const YAML::Node& node, int line, Config& c);
  void readTcp(const YAML::Node& node, int line, Config& c);
  void readLimits(const YAML::Node& node, int line, Config& c);
  void readLog(const YAML::Node& node, int line, Config& c);
  void readDatabase(const YAML::Node& node, int line, Config& c);
  void checkListeners();
  void checkTargetsAreNotOurs();
  // Sections read in their own files.
  void readGuard(const YAML::Node& node, int line, Config& c);   // guard_section.cc
  void readGuardBans(const YAML::Node& node, int line, GuardSettings& g);
  void readGuardEvents(const YAML::Node& node, int line, GuardSettings& g);
  // guard_filters_section.cc
  void readGuardAcl(const YAML::Node& node, int line, GuardSettings& g);
  void readGuardScanner(const YAML::Node& node, int line, GuardSettings& g);
  void readGuardRateLimit(const YAML::Node& node, int line, GuardSettings& g);
  void readGuardOverload(const YAML::Node& node, int line, GuardSettings& g);
  void readPolicy(const YAML::Node& node, int line, Config& c);  // policy_section.cc
  // tls_section.cc: the top-level `tls:` (listener certificates) and a provider's `tls:`.
  void readTls(const YAML::Node& node, int line, Config& c);
  void readProviderTls(const YAML::Node& node, int line, const std::string& path,
                       Provider& provider);
  // After every section: tls:// listeners need tls.certificate; tls providers want a listener.
  void checkTls(const Config& c);
  // A PEM file name at `key`, resolved against the config's folder: true when it names a
  // readable file (then in `out`); each problem is an error at the key.
  bool readPemPath(const MapReader& m, std::string_view key, std::string& out);
  // Loads a certificate and its key (PEM), reporting each problem at its key.
  void checkPair(const MapReader& m, std::string_view certKey, std::string& certificate,
                 std::string_view keyKey, std::string& privateKey, bool haveCert, bool haveKey);
  // provider_auth_section.cc: a provider's `auth:` (credentials, registration).
  void readProviderAuth(const YAML::Node& node, int line, const std::string& path,
                        Provider& provider);
  // accounts_section.cc: `accounts:` (password policy, lockout, nonces) and `public.auth`.
  void readAccounts(const YAML::Node& node, int line, Config& c);
  void readPublicAuth(const YAML::Node& node, int line, PublicZone& zone);
  void readDns(const YAML::Node& node, int line, Config& c);  // dns_section.cc
  // database_key_section.cc: `database.key_file` (the key sealing secrets at rest).
  void readDatabaseKeyFile(const MapReader& m, Config& c);
  // A file named in the config: relative paths are relative to the config file.
  std::string resolvePath(const std::string& path) const;

 private:

  std::string file_;
  std::string baseDir_;
  std::vector<ConfigError> errors_;
  std::vector<ConfigError> warnings_;
  // Gathered while reading, checked across zones at the end.
  std::vector<Located<Listener>> listeners_;
  std::vector<Located<PeerTarget>> targets_;
  bool tlsFilesBad_ = false;  // tls.certificate/private_key already reported
};

}  // namespace tg::config::detail
