// A provider's `auth:` (provider_auth_config.h).

#include "config/loader.h"

namespace tg::config::detail {

void Loader::readProviderAuth(const YAML::Node& node, int line, const std::string& path,
                              Provider& provider) {
  MapReader m(*this, node, path, line, {});
  (void)m;
  (void)provider;
}

}  // namespace tg::config::detail
