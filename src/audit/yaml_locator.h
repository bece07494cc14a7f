#pragma once

// Where a key of a trunkguard YAML config was written, so that gateway findings name a line as
// precisely as the loader's errors do. The config structs keep few lines; the YAML keeps all.

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace tg::audit {

class YamlLocator {
 public:
  // Reads `path`; an unreadable or invalid file leaves every line() at 0 (the loader reports why).
  explicit YamlLocator(const std::string& path);
  // The 1-based line of "a.b[2].c" (the key's line for map entries); when only a prefix of the
  // path exists, the line of the deepest part that does; 0 when none.
  int line(std::string_view keyPath) const;

 private:
  YAML::Node root_;
};

}  // namespace tg::audit
