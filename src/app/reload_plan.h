#pragma once

// What a reload (SIGHUP) does with each changed key: applied to the running gateway, or named
// as needing a restart. The running and the new config are compared key by key (the values as
// written, Config::written), so no change goes unmentioned; a key not in the table of live
// keys (reload_plan.cc) needs a restart, which keeps a new section truthful by default.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tg::app {

struct ReloadResult {
  bool refused = false;                   // the new file has errors: nothing changed
  std::vector<std::string> applied;       // changed keys now in force ("guard.acl", "policy")
  std::vector<std::string> needsRestart;  // changed keys the running gateway ignores
  std::vector<std::string> failed;        // live keys whose component refused them, with why
  // One line: "applied: b2bua, policy; needs a restart: tcp.idle_timeout_s".
  std::string summary() const;
};

// Whether a change at `keyPath` ("guard.acl.pbx.allow[0]", "tcp.idle_timeout_s") applies
// without a restart.
bool appliesLive(std::string_view keyPath);

// The changed keys of `next` against `running`, sorted into applied and needsRestart. Applied
// keys are named by their table entry ("trunk.providers"), the others by their path without
// list indices ("pbx.listen").
ReloadResult planReload(const config::Config& running, const config::Config& next);

}  // namespace tg::app
