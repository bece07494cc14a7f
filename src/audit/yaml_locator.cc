#include "audit/yaml_locator.h"

#include <charconv>

namespace tg::audit {

YamlLocator::YamlLocator(const std::string& path) {
  try {
    root_ = YAML::LoadFile(path);
  } catch (const YAML::Exception&) {
    root_ = YAML::Node();  // the config loader reports the problem with its line
  }
}

int YamlLocator::line(std::string_view keyPath) const {
  YAML::Node node;
  node.reset(root_);
  int found = 0;
  while (!keyPath.empty() && node.IsDefined() && !node.IsNull()) {
    const size_t end = keyPath.find_first_of(".[");
    std::string_view part = keyPath.substr(0, end);
    keyPath.remove_prefix(end == std::string_view::npos ? keyPath.size() : end);
    if (!part.empty()) {
      if (!node.IsMap()) break;
      YAML::Node next;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == part) {
          found = it->first.Mark().line + 1;
          next.reset(it->second);
          break;
        }
      }
      if (!next.IsDefined()) break;
      node.reset(next);  // operator= would overwrite the node in the tree
    }
    if (!keyPath.empty() && keyPath.front() == '.') keyPath.remove_prefix(1);
    if (!keyPath.empty() && keyPath.front() == '[') {
      const size_t close = keyPath.find(']');
      if (close == std::string_view::npos) break;
      size_t index = 0;
      const auto parsed = std::from_chars(keyPath.data() + 1, keyPath.data() + close, index);
      if (parsed.ec != std::errc() || !node.IsSequence() || index >= node.size()) break;
      const YAML::Node item = node[index];
      node.reset(item);
      found = node.Mark().line + 1;
      keyPath.remove_prefix(close + 1);
      if (!keyPath.empty() && keyPath.front() == '.') keyPath.remove_prefix(1);
    }
  }
  return found;
}

}  // namespace tg::audit
