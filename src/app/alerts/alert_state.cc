#include "app/alerts/alert_state.h"

#include <set>

namespace tg::app::alerts {

std::vector<AlertEvent> PeerStateWatch::update(const std::vector<b2bua::PeerHealth>& peers,
                                               int64_t nowMs) {
  std::vector<AlertEvent> out;
  std::set<std::string> seen;
  for (const b2bua::PeerHealth& p : peers) {
    const bool pbx = p.name.starts_with("pbx");
    for (const b2bua::AddressHealth& a : p.addresses) {
      const std::string address = a.target.address.toString();
      const std::string key =
          p.name + '|' + address + '/' + std::string(config::transportName(a.target.transport));
      seen.insert(key);
      const auto it = up_.find(key);
      const bool was = it == up_.end() || it->second;
      up_[key] = a.up;
      if (was == a.up) continue;
      AlertEvent e;
      e.rule = std::string(pbx ? "pbx." : "provider.") + (a.up ? "up" : "down");
      e.zone = pbx ? "pbx" : "trunk";
      e.source = address;
      e.reason = a.up ? (pbx ? "the PBX" : "provider " + p.name) + " answers again at " + address +
                            "; " + std::to_string(p.upCount()) + " of " +
                            std::to_string(p.addresses.size()) + " addresses up"
                      : (pbx ? "the PBX" : "provider " + p.name) + " at " + address + " left " +
                            std::to_string(a.consecutiveFailures) +
                            " requests in a row unanswered; " + std::to_string(p.upCount()) +
                            " of " + std::to_string(p.addresses.size()) + " addresses up";
      e.action = a.up ? "routing to it again" : "not routed to while down";
      e.timeMs = nowMs;
      out.push_back(std::move(e));
    }
  }
  // Addresses no longer listed (a reload, a DNS refresh) are forgotten.
  std::erase_if(up_, [&](const auto& kv) { return !seen.contains(kv.first); });
  return out;
}

}  // namespace tg::app::alerts
