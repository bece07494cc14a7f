// The `admission:` section (admission_config.h): each admission filter's `enabled` and
// `enforce`, under its name.

#include <string>
#include <vector>

#include "config/loader.h"

namespace tg::config::detail {

void readAdmission(Loader& loader, const YAML::Node& node, int line, Config& c) {
  const std::vector<std::string_view> names(kAdmissionFilters.begin(), kAdmissionFilters.end());
  MapReader m(loader, node, "admission", line, names);
  if (!m.valid()) return;
  for (const std::string_view name : kAdmissionFilters) {
    if (!m.has(name)) continue;
    MapReader f(loader, m.get(name), m.pathOf(name), m.keyLine(name), {"enabled", "enforce"});
    if (!f.valid()) continue;
    FilterSwitches s;
    loader.setBool(f, "enabled", s.enabled);
    loader.setBool(f, "enforce", s.enforce);
    c.admission.filters[std::string(name)] = s;
  }
  // Turning off the phones' authentication lets every public-zone INVITE through unproven.
  const FilterSwitches auth = c.admission.switchesFor("phone_auth");
  if (!auth.enabled || !auth.enforce) {
    loader.warn(m.keyLine("phone_auth"), m.pathOf("phone_auth"),
                "remote phones' calls are not authenticated: any public-zone caller can call "
                "through the PBX; use this only to test");
  }
}

}  // namespace tg::config::detail
