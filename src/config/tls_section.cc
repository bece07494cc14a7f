// The top-level `tls:` section and a provider's `tls:` (tls_config.h).

#include "config/loader.h"

namespace tg::config::detail {

void Loader::readTls(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "tls", line, {});
  (void)m;
  (void)c;
}

void Loader::readProviderTls(const YAML::Node& node, int line, const std::string& path,
                             Provider& provider) {
  MapReader m(*this, node, path, line, {});
  (void)m;
  (void)provider;
}

}  // namespace tg::config::detail
