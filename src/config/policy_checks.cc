// What the loaded policy leaves open, said as check-config warnings at the key concerned:
// the policy off or in shadow, built-in defaults only, no caller-ID check, rules that can never
// match a PBX's calls. The section itself is read in policy_section.cc.

#include <algorithm>
#include <string>

#include "config/loader.h"
#include "config/pbx_rule_reach.h"

namespace tg::config {

bool anyOwnNumbers(const PolicySettings& p) {
  return !p.ownNumbers.empty() ||
         std::any_of(p.accounts.begin(), p.accounts.end(),
                     [](const auto& a) { return !a.second.ownNumbers.empty(); });
}

namespace detail {

// A rule that names extensions (accounts: [201], groups: [sales]) never matches the calls of a
// PBX target without identity_header: they count as the target's peer name (issue 12 item 2),
// so the rule silently does nothing for them. Warned at the rule, with the way out.
void Loader::checkPbxAccountRules(const Config& c) {
  for (const PolicyRule& r : c.policy.rules) {
    std::string targets, names;
    for (const size_t i : pbxTargetsRuleMisses(c, r)) {
      targets += (targets.empty() ? "" : ", ") + index("pbx.targets", i);
      names += (names.empty() ? "'" : ", '") + c.pbx.peers[i].name + "'";
    }
    if (targets.empty()) continue;
    const bool byAccount = !r.accounts.empty();
    warn(r.line, "policy.rules." + r.name + (byAccount ? ".accounts" : ".groups"),
         "names " + std::string(byAccount ? "accounts" : "groups") + ", but calls from " + targets +
             " count as " + names +
             " (no identity_header: the PBX asserts no extension), so this rule never matches "
             "them; set identity_header on " +
             targets +
             " to the header the PBX puts the extension in (e.g. X-Account), or name the peer "
             "in the rule" +
             (r.zones == 0 && c.publicZone ? " (or give it zones: [public] if it is meant for "
                                             "remote phones only)"
                                           : ""));
  }
}

// Warnings about what the policy leaves open, with or without a `policy:` section; `line` is
// the section's (0: absent, the built-in defaults alone apply).
void Loader::checkPolicy(int line, Config& c) {
  PolicySettings& p = c.policy;
  const std::string path = "policy";
  if (p.numbering[0].countryCode.empty()) {  // no section: readPolicy filled nothing
    for (NumberingPlan& n : p.numbering) n = *numberingPreset("US");
  }
  if (!p.enabled) {
    warn(line, path + ".enabled",
         "false: the toll-fraud policy is OFF and every call passes, premium and international "
         "included; remove `enabled: false` to get the safe defaults (docs/policy.md)");
    return;
  }
  if (!p.enforce) {
    warn(line, path + ".enforce",
         "false: shadow mode, every call passes and refusals are only reported");
  }
  if (line == 0) {
    warn(0, path,
         "not given: the built-in defaults apply (deny premium, high-risk, satellite, "
         "international and unknown numbers; allow domestic calls with per-account caps). Calls "
         "are read as dialled in the US: a number that is not clearly national there counts as "
         "international and is refused. Set policy.numbering.pbx.country and add e.g. "
         "policy.rules: [{ name: intl, classes: [international], action: allow }] to allow it");
  }
  if (!p.defaultRules) {
    warn(line, path + ".default_rules",
         "false: no built-in default:* rules; calls no rule matches get default_action");
  }
  checkPbxAccountRules(c);
  if (p.callerIdAction == CallerIdAction::kOff && !anyOwnNumbers(p)) {
    warn(line, path + ".own_numbers",
         "CALLER-ID NOT CHECKED: no own numbers are configured, so calls from the PBX may "
         "present any caller ID; list your DIDs, e.g. policy.own_numbers: [\"+1212555*\"]");
  }
}

}  // namespace detail
}  // namespace tg::config
