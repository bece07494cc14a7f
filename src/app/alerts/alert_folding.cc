#include "app/alerts/alert_folding.h"

#include <algorithm>

namespace tg::app::alerts {
namespace {

constexpr size_t kMaxOverflowRules = 20;

}  // namespace

AlertFolding::AlertFolding(int64_t windowMs, int maxPerMinute, size_t maxKeys)
    : windowMs_(std::max<int64_t>(1, windowMs)),
      perMinute_(std::max(1, maxPerMinute)),
      maxKeys_(std::max<size_t>(1, maxKeys)),
      tokens_(perMinute_) {}

bool AlertFolding::takeToken(int64_t nowMs) {
  if (refilledMs_ >= 0 && nowMs > refilledMs_) {
    tokens_ = std::min(perMinute_, tokens_ + (nowMs - refilledMs_) * perMinute_ / 60000.0);
  }
  refilledMs_ = std::max(refilledMs_, nowMs);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void AlertFolding::overflow(const AlertEvent& event) {
  if (overflowCount_++ == 0) overflowFirstMs_ = event.timeMs;
  overflowLast_ = event;
  if (overflowRules_.size() < kMaxOverflowRules) overflowRules_.insert(event.rule);
}

std::vector<Alert> AlertFolding::offer(const AlertEvent& event, int64_t nowMs) {
  const std::string key = event.rule + '|' + event.source;
  auto it = entries_.find(key);
  if (it != entries_.end() && nowMs - it->second.sentMs < windowMs_) {
    Entry& e = it->second;
    if (e.folded++ == 0) e.firstFoldedMs = event.timeMs;
    e.last = event;
    return {};
  }
  std::vector<Alert> out = it != entries_.end() ? tick(nowMs) : std::vector<Alert>{};
  it = entries_.find(key);  // tick() may have ended it
  if (it == entries_.end() && entries_.size() >= maxKeys_) {
    overflow(event);
    return out;
  }
  if (it != entries_.end() || !takeToken(nowMs)) {
    // Still waiting for its summary to go out, or over the rate: counted in the overflow.
    overflow(event);
    return out;
  }
  entries_[key] = Entry{nowMs, 0, 0, event};
  out.push_back(Alert{event, 1, false, event.timeMs, event.timeMs});
  return out;
}

std::vector<Alert> AlertFolding::tick(int64_t nowMs) {
  std::vector<Alert> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (nowMs - e.sentMs < windowMs_) {
      ++it;
      continue;
    }
    if (e.folded > 0) {
      if (!takeToken(nowMs)) {
        ++it;  // its summary waits for the bucket
        continue;
      }
      out.push_back(Alert{e.last, e.folded, true, e.firstFoldedMs, e.last.timeMs});
    }
    it = entries_.erase(it);
  }
  if (overflowCount_ > 0 && takeToken(nowMs)) {
    Alert a{overflowLast_, overflowCount_, true, overflowFirstMs_, overflowLast_.timeMs};
    std::string rules;
    for (const std::string& r : overflowRules_) rules += (rules.empty() ? "" : ", ") + r;
    a.event.rule = "alerts.overflow";
    a.event.source = "";
    a.event.zone = "";
    a.event.action = "";
    a.event.reason = std::to_string(overflowCount_) +
                     " events over the alert rate limit or in folding (rules: " + rules + ")";
    out.push_back(std::move(a));
    overflowCount_ = 0;
    overflowRules_.clear();
  }
  return out;
}

}  // namespace tg::app::alerts
