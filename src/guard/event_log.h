#pragma once

// The EventSink the gateway gives every filter: each blocking decision is counted per rule,
// logged (module "guard") and stored through db::EventStore. A source that keeps tripping the
// same rule is logged and stored at most once per guard.events.repeat_interval; the repeats are
// only counted, and the next line that gets through says how many were folded into it.
//
// Thread-safe. record() takes short locks and allocates (it builds a log line): call it when a
// request is blocked, not for every packet of an already-banned source (count those instead).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "config/guard_config.h"
#include "guard/security_event.h"

namespace tg::db {
class EventStore;
}

namespace tg::guard {

class EventLog final : public EventSink {
 public:
  // store may be null (no database: log and count only); it must outlive this object.
  EventLog(const base::Clock& clock, const config::EventSettings& settings,
           db::EventStore* store = nullptr);

  void record(SecurityEvent event) override;
  // Also hands every event, repeats included, to `observer` (the alerts; null: none). The
  // observer must be cheap and never block; clear it before destroying it.
  void setObserver(EventSink* observer) { observer_.store(observer, std::memory_order_release); }

  // On config reload.
  void setSettings(const config::EventSettings& settings);
  // Forgets throttle state older than the repeat interval (housekeeping, about once a second).
  void expire();

  // --- counters for metrics (never reset) ---
  uint64_t count(std::string_view rule) const;  // events of this rule, repeats included
  std::vector<std::pair<std::string, uint64_t>> counts() const;  // sorted by rule
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  uint64_t suppressed() const { return suppressed_.load(std::memory_order_relaxed); }

  // At most maxBytes of the message, made single-line and printable: CR LF becomes "\n",
  // other control and non-ASCII bytes become \xNN.
  static std::string printableSample(std::string_view message, size_t maxBytes);

  // Beyond this many (source, rule) pairs, older throttle entries are forgotten early.
  static constexpr size_t kMaxThrottleEntries = 65536;

 private:
  struct Throttle {
    base::TimePoint lastRecorded{};
    uint64_t folded = 0;  // repeats since lastRecorded
  };

  std::atomic<uint64_t>& counterFor(std::string_view rule);
  // How many repeats the event stands for; nullopt: throttled, count only.
  std::optional<uint64_t> admit(const std::string& key, base::TimePoint now);

  const base::Clock& clock_;
  db::EventStore* store_;

  mutable std::mutex settingsMutex_;
  config::EventSettings settings_;

  mutable std::shared_mutex countersMutex_;
  // node-based: the atomics stay where they are when the map grows
  std::unordered_map<std::string, std::unique_ptr<std::atomic<uint64_t>>> counters_;
  std::atomic<EventSink*> observer_{nullptr};
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> suppressed_{0};

  std::mutex throttleMutex_;
  std::unordered_map<std::string, Throttle> throttle_;
};

}  // namespace tg::guard
