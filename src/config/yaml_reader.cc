#include "config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>

namespace tg::config::detail {
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

std::string joinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace

std::optional<std::string_view> closestName(std::string_view word,
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

std::string unknownKeyMessage(std::string_view key, const std::vector<std::string_view>& known) {
  std::string message = "unknown key '" + std::string(key) + "'";
  if (auto near = closestName(key, known)) {
    message += "; did you mean '" + std::string(*near) + "'?";
  } else {
    message += "; known keys here: " + joinNames(known);
  }
  return message;
}

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

void flatten(const YAML::Node& node, const std::string& path,
             std::map<std::string, std::string>& out) {
  if (node.IsMap() && node.size() > 0) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar()) flatten(it->second, child(path, it->first.Scalar()), out);
    }
  } else if (node.IsSequence() && node.size() > 0) {
    for (size_t i = 0; i < node.size(); ++i) flatten(node[i], index(path, i), out);
  } else {
    out[path] = node.IsScalar() ? node.Scalar() : std::string();
  }
}

MapReader::MapReader(YamlReader& reader, const YAML::Node& node, std::string path, int line,
                     std::vector<std::string_view> known)
    : path_(std::move(path)), line_(line) {
  if (node.IsNull()) {  // "public:" with nothing under it: every key takes its default
    valid_ = true;
    return;
  }
  if (!node.IsMap()) {
    reader.error(YamlReader::lineOf(node), path_,
                 "expected a mapping (indented 'key: value' lines), got " + describe(node));
    return;
  }
  valid_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const int keyLine = YamlReader::lineOf(it->first);
    if (!it->first.IsScalar()) {
      reader.error(keyLine, path_, "keys must be plain names, got " + describe(it->first));
      continue;
    }
    const std::string key = it->first.Scalar();
    const auto dup = std::find_if(entries_.begin(), entries_.end(),
                                  [&](const Entry& e) { return e.key == key; });
    if (dup != entries_.end()) {
      reader.error(keyLine, child(path_, key),
                   "written twice (first on line " + std::to_string(dup->line) + "); keep one");
      continue;
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      reader.error(keyLine, path_, unknownKeyMessage(key, known));
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

std::optional<int64_t> YamlReader::readInt(const YAML::Node& v, int line, const std::string& path,
                                           int64_t min, int64_t max) {
  if (!v.IsDefined()) return std::nullopt;
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

std::optional<double> YamlReader::readNumber(const MapReader& m, std::string_view key, double min,
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

std::optional<bool> YamlReader::readBool(const MapReader& m, std::string_view key) {
  const YAML::Node v = m.get(key);
  if (!v.IsDefined()) return std::nullopt;
  bool value = false;
  if (!v.IsScalar() || isQuoted(v) || !YAML::convert<bool>::decode(v, value)) {
    error(valueLine(m, key), m.pathOf(key), "expected true or false, got " + describe(v));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> YamlReader::readString(const YAML::Node& v, int line,
                                                  const std::string& path) {
  if (!v.IsScalar()) {
    error(line, path,
          "expected a text value, got " + describe(v) + (v.IsNull() ? "; write \"\"" : ""));
    return std::nullopt;
  }
  return v.Scalar();
}

bool YamlReader::expectSequence(const MapReader& m, std::string_view key) {
  const YAML::Node v = m.get(key);
  if (!v.IsDefined() || v.IsNull()) return false;
  if (!v.IsSequence()) {
    error(valueLine(m, key), m.pathOf(key),
          "expected a list ([a, b] or '- item' lines), got " + describe(v));
    return false;
  }
  return true;
}

std::vector<Located<std::string>> YamlReader::readStringList(const MapReader& m,
                                                             std::string_view key) {
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

std::string YamlReader::resolvePath(const std::string& path) const {
  const std::filesystem::path p(path);
  if (baseDir_.empty() || p.is_absolute()) return path;
  return (std::filesystem::path(baseDir_) / p).lexically_normal().string();
}

void YamlReader::finish(LoadResult& result) {
  // Top to bottom reads best; errors found in the same place keep the order they were found.
  const auto byLine = [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; };
  std::stable_sort(errors_.begin(), errors_.end(), byLine);
  std::stable_sort(warnings_.begin(), warnings_.end(), byLine);
  result.errors = std::move(errors_);
  for (const ConfigError& w : warnings_) result.warnings.push_back(w.toString());
}

}  // namespace tg::config::detail
