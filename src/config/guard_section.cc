// The `guard:` section (guard_config.h). Each subsection has its own reader; the filter
// subsections (acl, scanner, rate_limit, overload) are in guard_filters_section.cc.

#include "config/loader.h"

namespace tg::config::detail {

void Loader::readGuard(const YAML::Node& node, int line, Config& c) {
  MapReader m(*this, node, "guard", line,
              {"trusted", "acl", "scanner", "rate_limit", "bans", "overload", "events"});
  if (!m.valid()) return;
  GuardSettings& g = c.guard;
  g.trusted = readCidrs(m, "trusted");
  if (m.has("acl")) readGuardAcl(m.get("acl"), m.keyLine("acl"), g);
  if (m.has("scanner")) readGuardScanner(m.get("scanner"), m.keyLine("scanner"), g);
  if (m.has("rate_limit")) readGuardRateLimit(m.get("rate_limit"), m.keyLine("rate_limit"), g);
  if (m.has("overload")) readGuardOverload(m.get("overload"), m.keyLine("overload"), g);
  if (m.has("bans")) readGuardBans(m.get("bans"), m.keyLine("bans"), g);
  if (m.has("events")) readGuardEvents(m.get("events"), m.keyLine("events"), g);
}

void Loader::readGuardBans(const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(*this, node, "guard.bans", line, {});
  (void)m;
  (void)g;
}

void Loader::readGuardEvents(const YAML::Node& node, int line, GuardSettings& g) {
  MapReader m(*this, node, "guard.events", line, {});
  (void)m;
  (void)g;
}

}  // namespace tg::config::detail
