#pragma once

// Settings of the perimeter defense (src/guard/): ACLs, scanner detection, rate limits, bans,
// overload protection and security events. Read by guard_section.cc.

namespace tg::config {

struct GuardSettings {};

}  // namespace tg::config
