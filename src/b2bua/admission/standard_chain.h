#pragma once

// The admission filters in their fixed order (docs/architecture.md "Admission chain"). A new
// filter is its own file and one line in standard_chain.cc (and, when it has switches under
// `admission:`, its name in config/admission_config.h).

#include <memory>
#include <vector>

#include "b2bua/admission/call_filter.h"

namespace tg::b2bua::admission {

std::vector<std::unique_ptr<CallFilter>> standardFilters(AdmissionServices& services);

}  // namespace tg::b2bua::admission
