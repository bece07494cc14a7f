// The filter subsections of `guard:` (guard_config.h): acl, scanner, rate_limit, overload.

#include "config/loader.h"

namespace tg::config::detail {

void Loader::readGuardAcl(const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(*this, node, "guard.acl", line, {});
  (void)m;
  (void)g;
}

void Loader::readGuardScanner(const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(*this, node, "guard.scanner", line, {});
  (void)m;
  (void)g;
}

void Loader::readGuardRateLimit(const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(*this, node, "guard.rate_limit", line, {});
  (void)m;
  (void)g;
}

void Loader::readGuardOverload(const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(*this, node, "guard.overload", line, {});
  (void)m;
  (void)g;
}

}  // namespace tg::config::detail
