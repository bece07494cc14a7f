// The `policy:` section (policy_config.h).

#include "config/loader.h"

namespace tg::config::detail {

void Loader::readPolicy(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "policy", line, {});
  (void)m;
  (void)c;
}

}  // namespace tg::config::detail
