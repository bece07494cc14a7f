#pragma once

// The alerts' own thread (never a SIP worker): security events that match `alerts.events`
// arrive through record() (guard::EventLog's observer), and changes of the providers' health
// through watchPeers() (alert_state.h); they wait in a bounded queue, are folded
// (alert_folding.h) and go to every webhook and mail target (each retried with exponential
// backoff, a bounded number of deliveries waiting) and every syslog target.
//
// record() runs on whatever thread blocked something: it copies the event and takes one short
// lock (matching the rule under it); a full queue drops the event and counts it.
// reconfigure() (a config reload) swaps the settings; the thread takes them at its next turn.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/alerts/alert_folding.h"
#include "app/alerts/alert_senders.h"
#include "app/alerts/alert_state.h"
#include "app/alerts/spend_watch.h"
#include "config/alerts_config.h"
#include "guard/security_event.h"

namespace tg::app::alerts {

// Whether an event of `rule` with `action` matches one of the patterns (alerts_config.h): a
// pattern's '*' stands for any run of characters ("fraud.*", "policy.*.spend_per_hour").
bool matchesAlertRule(const std::vector<std::string>& patterns, std::string_view rule,
                      std::string_view action);

struct AlertStats {
  uint64_t events = 0;   // matched and queued
  uint64_t dropped = 0;  // matched, but the queue was full
  uint64_t sent = 0;     // deliveries that succeeded (webhook 2xx, mail taken, syslog sent)
  uint64_t failed = 0;   // deliveries given up after their retries
  uint64_t retried = 0;  // webhook and mail attempts after the first
};

class AlertDispatcher final : public guard::EventSink {
 public:
  explicit AlertDispatcher(config::AlertSettings settings);
  ~AlertDispatcher() override;  // stops the thread; what is still queued is not sent
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  void start();
  void stop();
  void record(guard::SecurityEvent event) override;
  // New settings, from any thread. At its next turn the alert thread starts its folding afresh,
  // reopens syslog and gives up the deliveries waiting for a retry (their target may be gone).
  void reconfigure(config::AlertSettings settings);
  // The health monitor's current view (one worker's); always from the same thread, about once
  // a second. Changes that match `alerts.events` are queued like security events.
  void watchPeers(const std::vector<b2bua::PeerHealth>& peers);
  // The CDR database the spend thresholds (alerts.spend_per_hour...) read, once a minute, on
  // the alert thread over a read-only connection of its own. Before start().
  void setCdrDatabase(std::string path) { cdrPath_ = std::move(path); }
  AlertStats stats() const;

 private:
  struct Delivery {
    bool mail = false;  // settings_.mail[target], else settings_.webhooks[target]
    size_t target = 0;
    std::string body;
    std::string id;
    int attempts = 0;
    std::chrono::steady_clock::time_point due;
  };
  void queue(AlertEvent event);
  void adopt(std::shared_ptr<const config::AlertSettings> settings);
  void run();
  void send(const Alert& alert);
  void attempt(Delivery d);
  void retryDue();
  void checkSpend(int64_t nowMs);

  // The alert thread's own: the settings it delivers with, and what they make.
  std::shared_ptr<const config::AlertSettings> active_;
  std::string host_;
  std::optional<AlertFolding> folding_;
  std::vector<std::unique_ptr<SyslogSender>> syslog_;
  std::deque<Delivery> retries_;  // the alert thread's own
  PeerStateWatch peerWatch_;      // watchPeers()'s caller's own
  uint64_t nextId_ = 0;
  std::string cdrPath_;                       // set before start()
  std::unique_ptr<db::SpendReader> spendDb_;  // the alert thread's own, opened when first needed
  SpendWatch spendWatch_;                     // the alert thread's own
  int64_t spendDueMs_ = 0;

  mutable std::mutex mutex_;
  std::shared_ptr<const config::AlertSettings> settings_;  // the latest: its rules admit events
  std::shared_ptr<const config::AlertSettings> fresh_;     // not yet adopted by the thread
  std::condition_variable wake_;
  std::deque<AlertEvent> queue_;
  bool stopping_ = false;
  AlertStats stats_;
  std::thread thread_;
};

}  // namespace tg::app::alerts
