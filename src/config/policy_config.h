#pragma once

// Settings of the toll-fraud call policy engine (src/guard/policy/). Read by policy_section.cc.

namespace tg::config {

struct PolicySettings {};

}  // namespace tg::config
