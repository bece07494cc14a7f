// The `accounts:` section and `public.auth` (accounts_config.h).

#include "config/loader.h"

namespace tg::config::detail {

void Loader::readAccounts(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "accounts", line, {});
  (void)m;
  (void)c;
}

void Loader::readPublicAuth(const YAML::Node& node, int line, PublicZone& zone) {
  MapReader m(*this, node, "public.auth", line, {});
  (void)m;
  (void)zone;
}

}  // namespace tg::config::detail
