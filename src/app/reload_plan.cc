#include "app/reload_plan.h"

#include <algorithm>
#include <set>

namespace tg::app {
namespace {

struct KeyRule {
  std::string_view prefix;  // a key path and everything under it
  bool live;
};

// Who applies each live key (Server::reload): Gateway::reload hands the config to the B2BUA
// (peers, per-call settings), the trunk services (providers, registration), the transport
// (certificates for new handshakes) and the guard chain; GuardServices::reload takes the
// shared guard state; CallPolicy::reload the policy; log::init the log; the accounts' lockout
// takes its new policy. The longest matching prefix wins. Anything else is built once at
// start: listeners and sockets, timers, TCP limits, the DNS resolver, the database, the
// digest server (realm, nonces, algorithms) and the password policy.
constexpr KeyRule kRules[] = {
    {"workers", false},
    {"pbx.listen", false},
    {"pbx.targets", true},
    {"pbx.allowed_sources", true},
    {"pbx.allow_refer", true},
    {"pbx.domain", true},
    {"trunk.listen", false},
    {"trunk.allow_refer", true},
    {"trunk.providers", true},
    {"public.listen", false},
    {"public.allow_refer", true},
    {"public.auth", false},
    {"timers", false},
    {"health", false},
    {"b2bua", true},
    {"tcp", false},
    // The guard counts stream offences against the config it is given on every reload.
    {"tcp.offences_before_ban", true},
    {"tcp.offence_window_s", true},
    {"limits", true},
    // The transport's buffers and stream framing are sized once.
    {"limits.max_message_bytes", false},
    {"log", true},
    {"database", false},  // the database and the control socket are opened once
    {"guard", true},
    {"policy", true},
    {"admission", true},  // read for each new call
    {"fraud", true},      // the detectors keep what they learnt
    {"alerts", true},     // folding starts afresh; retries waiting are given up
    {"tls", true},
    {"tls.handshake_timeout_ms", false},
    // The accept limits are set when the listeners' transport is built.
    {"tls.max_handshakes_per_source_per_s", false},
    {"tls.max_handshakes_per_prefix_per_s", false},
    {"accounts", false},
    {"accounts.lockout", true},
    {"accounts.lockout.max_tracked", false},  // the tables keep their capacity
    {"dns", false},
    // The verification policy is read for each new call; the verifier (trust anchors, fetch
    // limits, cache) is built once at start.
    {"identity", true},
    {"identity.enabled", false},
    {"identity.trust_bundle", false},
    {"identity.fetch_ca_file", false},
    {"identity.max_certificate_bytes", false},
    {"identity.max_redirects", false},
    {"identity.cache_max_age_s", false},
    {"identity.cache_entries", false},
    {"identity.allow_private_x5u", false},
};

// "a.b" covers "a.b", "a.b.c" and "a.b[0]", not "a.bc".
bool covers(std::string_view prefix, std::string_view key) {
  if (key.substr(0, prefix.size()) != prefix) return false;
  return key.size() == prefix.size() || key[prefix.size()] == '.' || key[prefix.size()] == '[';
}

const KeyRule* ruleFor(std::string_view key) {
  const KeyRule* best = nullptr;
  for (const KeyRule& r : kRules) {
    if (covers(r.prefix, key) && (best == nullptr || r.prefix.size() > best->prefix.size())) {
      best = &r;
    }
  }
  return best;
}

std::string withoutIndices(std::string_view key) {
  std::string out;
  bool inIndex = false;
  for (const char c : key) {
    if (c == '[') inIndex = true;
    if (!inIndex) out += c;
    if (c == ']') inIndex = false;
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

bool appliesLive(std::string_view keyPath) {
  const KeyRule* rule = ruleFor(keyPath);
  return rule != nullptr && rule->live;
}

ReloadResult planReload(const config::Config& running, const config::Config& next) {
  std::set<std::string> changed;
  for (const auto& [key, value] : running.written) {
    auto it = next.written.find(key);
    if (it == next.written.end() || it->second != value) changed.insert(key);
  }
  for (const auto& [key, value] : next.written) {
    if (!running.written.contains(key)) changed.insert(key);
  }
  std::set<std::string> applied;
  std::set<std::string> restart;
  for (const std::string& key : changed) {
    const KeyRule* rule = ruleFor(key);
    if (rule != nullptr && rule->live) {
      applied.insert(std::string(rule->prefix));
    } else {
      restart.insert(withoutIndices(key));
    }
  }
  ReloadResult result;
  result.applied.assign(applied.begin(), applied.end());
  result.needsRestart.assign(restart.begin(), restart.end());
  return result;
}

std::string ReloadResult::summary() const {
  if (refused) return "refused; keeping the running configuration";
  std::string out;
  if (!applied.empty()) out = "applied: " + join(applied);
  if (!failed.empty()) out += (out.empty() ? "" : "; ") + ("kept the running " + join(failed));
  if (!needsRestart.empty()) {
    out += (out.empty() ? "" : "; ") + ("needs a restart: " + join(needsRestart));
  }
  return out.empty() ? "nothing changed" : out;
}

}  // namespace tg::app
