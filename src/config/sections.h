#pragma once

// The table of top-level config sections: each key with the function that reads it. A new
// section is a file with its reader and one row in sections.cc. Internal to src/config.

#include <yaml-cpp/yaml.h>

#include <span>
#include <string_view>

namespace tg::config {
struct Config;
namespace detail {

class Loader;

// Reads the value of one top-level key (`line` is the key's line) into the Config.
using SectionReader = void (*)(Loader& loader, const YAML::Node& node, int line, Config& c);

struct Section {
  std::string_view key;
  SectionReader read;
  // When set, the key is required and this is the error when it is absent.
  std::string_view missing = {};
};

// In the order they are read (and listed in "known keys here" messages).
std::span<const Section> sections();

}  // namespace detail
}  // namespace tg::config
