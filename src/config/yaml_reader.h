#pragma once

// The YAML reading machinery every config section uses, apart from what any section means:
// a mapping reader that reports unknown keys (with the closest known key) and keys written
// twice, typed readers that say what was expected, and the error/warning list with file:line
// and key path. Internal to src/config.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.h"

namespace tg::config::detail {

std::string child(const std::string& path, std::string_view key);  // "a.b"
std::string index(const std::string& path, size_t i);              // "a[3]"
std::string describe(const YAML::Node& n);                         // for "got ..." messages
// A scalar written in quotes ("5060") is a string in YAML, not a number or a boolean.
bool isQuoted(const YAML::Node& n);
// The known name closest to `word` when it is close enough to be a plausible typo.
std::optional<std::string_view> closestName(std::string_view word,
                                            const std::vector<std::string_view>& known);
// "unknown key 'x'; did you mean 'y'?" or "unknown key 'x'; known keys here: a, b, c".
std::string unknownKeyMessage(std::string_view key, const std::vector<std::string_view>& known);

// Every scalar under `node` by its key path ("a.b", "a[0]"); an empty mapping or list, or a
// null, is recorded as "" at its own path.
void flatten(const YAML::Node& node, const std::string& path,
             std::map<std::string, std::string>& out);

// A value together with where it was written, for checks that span several keys.
template <typename T>
struct Located {
  T value;
  int line = 0;
  std::string path;
};

class YamlReader;

// One YAML mapping being read: reports keys the schema does not know (with the closest known
// key) and keys written twice, then hands out values by name.
class MapReader {
 public:
  MapReader(YamlReader& reader, const YAML::Node& node, std::string path, int line,
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

// Collects every problem (not just the first) and reads typed values; each typed reader
// reports its own error and returns nullopt on a bad value.
class YamlReader {
 public:
  YamlReader(std::string file, std::string baseDir)
      : file_(std::move(file)), baseDir_(std::move(baseDir)) {}

  void error(int line, const std::string& path, std::string message) {
    errors_.push_back({file_, line, path, std::move(message)});
  }
  void warn(int line, const std::string& path, std::string message) {
    warnings_.push_back({file_, line, path, std::move(message)});
  }
  size_t errorCount() const { return errors_.size(); }

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

  // A whole number written as `v` (at `line`, the key's line when v is null).
  std::optional<int64_t> readInt(const YAML::Node& v, int line, const std::string& path,
                                 int64_t min, int64_t max);
  std::optional<int64_t> readInt(const MapReader& m, std::string_view key, int64_t min,
                                 int64_t max) {
    if (!m.has(key)) return std::nullopt;
    return readInt(m.get(key), valueLine(m, key), m.pathOf(key), min, max);
  }
  std::optional<bool> readBool(const MapReader& m, std::string_view key);
  // A number that may have a fraction (rates, ratios, factors); `range` says what is accepted.
  std::optional<double> readNumber(const MapReader& m, std::string_view key, double min, double max,
                                   const std::string& range);
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

  // A file named in the config: relative paths are relative to the config file.
  std::string resolvePath(const std::string& path) const;
  const std::string& baseDir() const { return baseDir_; }

 protected:
  // Hands the problems over, sorted top to bottom (same-line ones keep their order).
  void finish(LoadResult& result);

  std::string file_;
  std::string baseDir_;
  std::vector<ConfigError> errors_;
  std::vector<ConfigError> warnings_;
};

}  // namespace tg::config::detail
