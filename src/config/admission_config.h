#pragma once

// Switches of the call admission filters (src/b2bua/admission/, docs/architecture.md
// "Admission chain"). Read by admission_section.cc; documented in docs/configuration.md. Like
// the guard filters, each has `enabled` and `enforce` (false: shadow mode, a refusal is logged,
// recorded and counted, and the call goes on). The call policy's switches are `policy.enabled`
// and `policy.enforce`.

#include <array>
#include <map>
#include <string>
#include <string_view>

#include "config/guard_config.h"

namespace tg::config {

// The filters with switches under `admission:`. A new filter adds its name here.
inline constexpr std::array<std::string_view, 4> kAdmissionFilters = {
    "phone_auth", "request_checks", "numbers", "sips_route"};

struct AdmissionSettings {
  std::map<std::string, FilterSwitches, std::less<>> filters;  // as written; absent: defaults

  FilterSwitches switchesFor(std::string_view filter) const {
    auto it = filters.find(filter);
    return it == filters.end() ? FilterSwitches{} : it->second;
  }
};

}  // namespace tg::config
