#pragma once

// The guard's filter subsections, read in guard_filters_section.cc for guard_section.cc.
// Internal to src/config.

#include <yaml-cpp/yaml.h>

#include "config/loader.h"

namespace tg::config::detail {

void readGuardAcl(Loader& loader, const YAML::Node& node, int line, GuardSettings& g);
void readGuardScanner(Loader& loader, const YAML::Node& node, int line, GuardSettings& g);
void readGuardRateLimit(Loader& loader, const YAML::Node& node, int line, GuardSettings& g);
void readGuardOverload(Loader& loader, const YAML::Node& node, int line, GuardSettings& g);

}  // namespace tg::config::detail
