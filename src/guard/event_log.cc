#include "guard/event_log.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "db/event_store.h"

namespace tg::guard {

EventLog::EventLog(const base::Clock& clock, const config::EventSettings& settings,
                   db::EventStore* store)
    : clock_(clock), store_(store), settings_(settings) {}

void EventLog::setSettings(const config::EventSettings& settings) {
  std::lock_guard lock(settingsMutex_);
  settings_ = settings;
}

std::string EventLog::printableSample(std::string_view message, size_t maxBytes) {
  const bool truncated = message.size() > maxBytes;
  message = message.substr(0, maxBytes);
  std::string out;
  out.reserve(message.size() + 8);
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < message.size(); ++i) {
    const auto byte = static_cast<unsigned char>(message[i]);
    if (byte == '\r' && i + 1 < message.size() && message[i + 1] == '\n') continue;
    if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\\') {
      out += "\\\\";
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (truncated) out += "...";
  return out;
}

std::atomic<uint64_t>& EventLog::counterFor(std::string_view rule) {
  {
    std::shared_lock lock(countersMutex_);
    // C++20 heterogeneous lookup needs a transparent hash; rules are short, a copy is cheap.
    if (auto it = counters_.find(std::string(rule)); it != counters_.end()) return *it->second;
  }
  std::unique_lock lock(countersMutex_);
  auto& slot = counters_[std::string(rule)];
  if (!slot) slot = std::make_unique<std::atomic<uint64_t>>(0);
  return *slot;
}

std::optional<uint64_t> EventLog::admit(const std::string& key, base::TimePoint now) {
  std::chrono::seconds interval;
  {
    std::lock_guard lock(settingsMutex_);
    interval = settings_.repeatInterval;
  }
  std::lock_guard lock(throttleMutex_);
  auto it = throttle_.find(key);
  if (it != throttle_.end()) {
    if (interval.count() > 0 && now - it->second.lastRecorded < interval) {
      ++it->second.folded;
      return std::nullopt;
    }
    const uint64_t folded = it->second.folded;
    it->second = Throttle{now, 0};
    return folded;
  }
  if (interval.count() <= 0) return 0;  // throttling off: nothing to remember
  if (throttle_.size() >= kMaxThrottleEntries) {
    std::erase_if(throttle_,
                  [&](const auto& e) { return now - e.second.lastRecorded >= interval; });
    if (throttle_.size() >= kMaxThrottleEntries) throttle_.clear();  // a flood of sources
  }
  throttle_.emplace(key, Throttle{now, 0});
  return 0;
}

void EventLog::record(SecurityEvent event) {
  total_.fetch_add(1, std::memory_order_relaxed);
  counterFor(event.rule).fetch_add(1, std::memory_order_relaxed);
  if (EventSink* observer = observer_.load(std::memory_order_acquire)) observer->record(event);

  // The port is left out: a scanner's every probe comes from a new one.
  const std::string ip = event.source.ip();
  const auto folded = admit(ip + '|' + event.rule, clock_.now());
  if (!folded) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  size_t sampleBytes;
  {
    std::lock_guard lock(settingsMutex_);
    sampleBytes = settings_.sampleBytes;
  }
  event.sample = printableSample(event.sample, sampleBytes);
  const std::string_view zone = transport::zoneName(event.zone);
  const std::string source = event.source.toString();
  const std::string reason = printableSample(event.reason, 512);
  if (event.action == "shadow") {
    TG_LOG(kGuard, info, "would block zone={} source={} rule={} reason=\"{}\" repeats={}", zone,
           source, event.rule, reason, *folded);
  } else {
    TG_LOG(kGuard, warn, "blocked zone={} source={} rule={} action={} reason=\"{}\" repeats={}",
           zone, source, event.rule, event.action, reason, *folded);
  }
  if (store_ == nullptr) return;
  db::SecurityEventRecord r;
  r.timeMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(event.time.time_since_epoch()).count();
  r.zone = std::string(zone);
  r.source = source;
  r.rule = std::move(event.rule);
  r.reason = *folded > 0 ? reason + " (+" + std::to_string(*folded) + " repeats folded)" : reason;
  r.action = std::move(event.action);
  r.sample = std::move(event.sample);
  store_->record(std::move(r));
}

void EventLog::expire() {
  std::chrono::seconds interval;
  {
    std::lock_guard lock(settingsMutex_);
    interval = settings_.repeatInterval;
  }
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(throttleMutex_);
  // Entries with folded repeats are kept longer, so that the next line can still report them.
  std::erase_if(throttle_, [&](const auto& e) {
    return now - e.second.lastRecorded >= interval * (e.second.folded > 0 ? 10 : 1);
  });
}

uint64_t EventLog::count(std::string_view rule) const {
  std::shared_lock lock(countersMutex_);
  const auto it = counters_.find(std::string(rule));
  return it == counters_.end() ? 0 : it->second->load(std::memory_order_relaxed);
}

std::vector<std::pair<std::string, uint64_t>> EventLog::counts() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  {
    std::shared_lock lock(countersMutex_);
    out.reserve(counters_.size());
    for (const auto& [rule, value] : counters_) {
      out.emplace_back(rule, value->load(std::memory_order_relaxed));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tg::guard
