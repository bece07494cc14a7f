#pragma once

// Folds security events into alerts, so that a flood produces a few alerts with counts rather
// than one per event:
//   - dedup: the first event of a (rule, source) alerts at once; its repeats within the window
//     are counted, and when the window ends they go out as one summary alert with their count;
//   - rate limit: at most maxPerMinute alerts a minute (a token bucket); events beyond it, and
//     new keys beyond maxKeys, are counted into one "alerts.overflow" alert sent as soon as the
//     bucket allows, naming the rules it holds.
// Pure logic on the caller's clock (ms), used by the alert thread only (not thread-safe).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace tg::app::alerts {

struct AlertEvent {
  std::string rule;  // "auth.lockout"
  std::string zone;
  std::string source;  // the address without its port
  std::string reason;
  std::string action;
  int64_t timeMs = 0;  // wall clock
};

struct Alert {
  AlertEvent event;      // the first event (at once) or the last one folded (summary)
  uint64_t count = 1;    // events this alert stands for
  bool summary = false;  // repeats folded over the window, or the overflow
  int64_t firstMs = 0;   // the span the count covers
  int64_t lastMs = 0;
};

class AlertFolding {
 public:
  AlertFolding(int64_t windowMs, int maxPerMinute, size_t maxKeys = 10000);

  // What to send now for this event (none, or one alert).
  std::vector<Alert> offer(const AlertEvent& event, int64_t nowMs);
  // Summaries whose window ended, and the overflow when the bucket allows.
  std::vector<Alert> tick(int64_t nowMs);

  size_t keys() const { return entries_.size(); }

 private:
  struct Entry {
    int64_t sentMs = 0;
    uint64_t folded = 0;
    int64_t firstFoldedMs = 0;
    AlertEvent last;
  };
  bool takeToken(int64_t nowMs);
  void overflow(const AlertEvent& event);

  const int64_t windowMs_;
  const double perMinute_;
  const size_t maxKeys_;
  double tokens_;
  int64_t refilledMs_ = -1;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t overflowCount_ = 0;
  int64_t overflowFirstMs_ = 0;
  AlertEvent overflowLast_;
  std::set<std::string> overflowRules_;
};

}  // namespace tg::app::alerts
