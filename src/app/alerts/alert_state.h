#pragma once

// Alerts on the gateway's own state, not on a blocked request: each address of a provider (or
// of the PBX) that the health checks find down, and again when it answers. The watch compares
// the health monitor's view with the one it saw last and turns each change into an event of
// rule "provider.down" / "provider.up" ("pbx.down" / "pbx.up" for the PBX's addresses), which
// then goes through the same rule match, folding and senders as the security events.
// Pure logic; its owner calls it from one thread.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/alerts/alert_folding.h"
#include "b2bua/health.h"

namespace tg::app::alerts {

class PeerStateWatch {
 public:
  // The events for what changed since the last call. An address seen for the first time is
  // only remembered (addresses start up), unless it is down already.
  std::vector<AlertEvent> update(const std::vector<b2bua::PeerHealth>& peers, int64_t nowMs);

 private:
  std::map<std::string, bool> up_;  // "peer|address/transport" -> up when last seen
};

}  // namespace tg::app::alerts
