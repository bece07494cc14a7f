#pragma once

// The safe defaults of a fresh install (docs/policy.md, "Safe defaults"): the built-in
// default:* rules that follow the admin's rules, and the caps every allowing rule gets when it
// sets none of its own.

#include "config/policy_config.h"

namespace tg::guard::policy {

// Appends the default:* rules (when settings.defaultRules) and gives every allowing rule
// without limits the default caps. Run once on the engine's own copy, before rules compile.
void applyDefaults(config::PolicySettings& settings);

}  // namespace tg::guard::policy
