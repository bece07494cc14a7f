// The top-level `fraud:` section (fraud_config.h): the detectors' switches and thresholds.

#include "config/loader.h"

namespace tg::config::detail {
namespace {

// `wangiri: { enabled: true, enforce: false }`: each detector's own switches.
void readSwitch(Loader& loader, const MapReader& parent, std::string_view key, FraudSwitch& out) {
  if (!parent.has(key)) return;
  MapReader m(loader, parent.get(key), parent.pathOf(key), parent.keyLine(key),
              {"enabled", "enforce"});
  if (!m.valid()) return;
  loader.setBool(m, "enabled", out.enabled);
  loader.setBool(m, "enforce", out.enforce);
}

}  // namespace

void readFraud(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(
      loader, node, "fraud", line,
      {"enabled", "block_score", "block_s", "learning_days", "settle_h", "wangiri", "enumeration",
       "short_calls", "new_destination", "unusual_hours", "concurrency", "wangiri_memory_h",
       "wangiri_max_ring_s", "enumeration_numbers", "enumeration_window_s", "short_call_burst",
       "short_call_window_s", "short_call_max_s", "concurrency_floor"});
  if (!m.valid()) return;
  FraudSettings& f = c.fraud;
  loader.setBool(m, "enabled", f.enabled);
  if (auto v = loader.readNumber(m, "block_score", 0.1, 10.0, "0.1 to 10")) f.blockScore = *v;
  loader.setDuration(m, "block_s", f.blockFor, 60, 7 * 86400);
  if (auto v = loader.readInt(m, "learning_days", 1, 365)) f.learning = std::chrono::hours(24 * *v);
  loader.setDuration(m, "settle_h", f.settle, 0, 24 * 30);
  readSwitch(loader, m, "wangiri", f.wangiri);
  readSwitch(loader, m, "enumeration", f.enumeration);
  readSwitch(loader, m, "short_calls", f.shortCalls);
  readSwitch(loader, m, "new_destination", f.newDestination);
  readSwitch(loader, m, "unusual_hours", f.unusualHours);
  readSwitch(loader, m, "concurrency", f.concurrency);
  loader.setDuration(m, "wangiri_memory_h", f.wangiriMemory, 1, 24 * 30);
  loader.setDuration(m, "wangiri_max_ring_s", f.wangiriMaxRing, 1, 120);
  loader.setInt(m, "enumeration_numbers", f.enumerationNumbers, 2, 64);
  loader.setDuration(m, "enumeration_window_s", f.enumerationWindow, 10, 86400);
  loader.setInt(m, "short_call_burst", f.shortCallBurst, 2, 1000);
  loader.setDuration(m, "short_call_window_s", f.shortCallWindow, 10, 86400);
  loader.setDuration(m, "short_call_max_s", f.shortCallMax, 1, 600);
  loader.setInt(m, "concurrency_floor", f.concurrencyFloor, 1, 10000);
}

}  // namespace tg::config::detail
