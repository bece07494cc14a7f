#include "guard/policy/default_rules.h"

#include <string>
#include <vector>

namespace tg::guard::policy {
namespace {

using config::PolicyAction;
using config::PolicyRule;

// Only calls that leave through the provider on the caller's behalf cost money: the trunk
// zone's inbound calls go to our own numbers and keep default_action.
constexpr uint8_t kOutboundZones = config::kZonePbx | config::kZonePublic;

PolicyRule builtIn(std::string_view name, PolicyAction action, std::vector<std::string> classes,
                   std::string reason) {
  PolicyRule r;
  r.name = std::string(name);
  r.zones = kOutboundZones;
  r.action = action;
  r.classes = std::move(classes);
  r.reason = std::move(reason);
  return r;
}

bool setsLimits(const PolicyRule& r) {
  return r.maxConcurrent > 0 || r.callsPerMinute > 0 || r.maxDuration.count() > 0 ||
         r.spendPerHour > 0 || r.spendPerDay > 0 || r.repeatCalls > 0;
}

}  // namespace

void applyDefaults(config::PolicySettings& s) {
  if (s.defaultRules) {
    s.rules.push_back(builtIn(config::kDefaultDenyPremium, PolicyAction::kDeny,
                              {"premium", "high-risk", "satellite"},
                              "Premium Destination Not Allowed"));
    s.rules.push_back(builtIn(config::kDefaultDenyInternational, PolicyAction::kDeny,
                              {"international"}, "International Calls Not Allowed"));
    s.rules.push_back(builtIn(config::kDefaultDenyUnknown, PolicyAction::kDeny, {"unknown"},
                              "Destination Not Allowed"));
    s.rules.push_back(builtIn(config::kDefaultAllowDomestic, PolicyAction::kAllow,
                              {"internal", "local", "national", "mobile", "toll-free"}, ""));
  }
  const config::DefaultLimits& d = s.defaultLimits;
  for (PolicyRule& r : s.rules) {
    if (r.action == PolicyAction::kDeny || setsLimits(r)) continue;
    r.limitsFromDefaults = true;
    r.maxConcurrent = d.maxConcurrent;
    r.callsPerMinute = d.callsPerMinute;
    if (!s.rates.empty()) r.spendPerHour = d.spendPerHour;
  }
}

}  // namespace tg::guard::policy
