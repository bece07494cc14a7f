#include "config/pbx_rule_reach.h"

#include <algorithm>
#include <string_view>

namespace tg::config {
namespace {

// A rule's account pattern against one account, as the engine matches them
// (guard/policy/engine.h accountMatches): exact, or a prefix ending in '*'.
bool patternMatches(std::string_view pattern, std::string_view account) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return account.substr(0, pattern.size()) == pattern;
  }
  return pattern == account;
}

// Whether the rule's accounts and groups let a call counted as `peer` through: an account
// pattern, or a member of one of its groups, is the peer's name.
bool ruleCanMatchPeer(const PolicySettings& p, const PolicyRule& r, const std::string& peer) {
  const auto matches = [&](const std::string& pattern) { return patternMatches(pattern, peer); };
  if (!r.accounts.empty() && std::none_of(r.accounts.begin(), r.accounts.end(), matches)) {
    return false;
  }
  if (r.groups.empty()) return true;
  for (const std::string& g : r.groups) {
    if (auto it = p.groups.find(g);
        it != p.groups.end() && std::any_of(it->second.begin(), it->second.end(), matches)) {
      return true;
    }
    for (const auto& [name, account] : p.accounts) {
      if (std::find(account.groups.begin(), account.groups.end(), g) != account.groups.end() &&
          matches(name)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::vector<size_t> pbxTargetsRuleMisses(const Config& c, const PolicyRule& rule) {
  std::vector<size_t> out;
  if (rule.accounts.empty() && rule.groups.empty()) return out;
  if (rule.zones != 0 && (rule.zones & kZonePbx) == 0) return out;
  for (size_t i = 0; i < c.pbx.peers.size(); ++i) {
    const PbxPeer& peer = c.pbx.peers[i];
    if (peer.identityHeader.empty() && !ruleCanMatchPeer(c.policy, rule, peer.name)) {
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace tg::config
