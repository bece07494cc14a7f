// The `guard:` section (guard_config.h).

#include "config/loader.h"

namespace tg::config::detail {

void Loader::readGuard(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "guard", line, {});
  (void)m;
  (void)c;
}

}  // namespace tg::config::detail
