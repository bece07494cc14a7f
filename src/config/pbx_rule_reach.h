#pragma once

// Which PBX targets a policy rule naming extensions can never match (issue 12 item 2): a
// target without identity_header asserts no extension, so its calls count as its peer name
// (b2bua/pbx_caller.h) and `accounts: [201]` or `groups: [sales]` never holds for them.
// Shared by check-config (a warning) and `audit gateway` (a finding).

#include <cstddef>
#include <vector>

#include "config/config.h"

namespace tg::config {

// Indexes into pbx.targets/pbx.peers of the targets whose calls `rule` never matches because
// of its accounts or groups; empty when it names none, does not cover the pbx zone, or every
// target asserts the extension (or its peer name is among the rule's accounts).
std::vector<size_t> pbxTargetsRuleMisses(const Config& c, const PolicyRule& rule);

}  // namespace tg::config
