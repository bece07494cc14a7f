#pragma once

// Alerts on spend over the last hour (`alerts.spend_per_hour`, `alerts.account_spend_per_hour`):
// given the cost of the calls that ended in the last 60 minutes (db/spend_reader.h), an event of
// rule "spend.hourly" (site-wide) or "spend.account_hourly" (one account, named as the source)
// when the amount goes over its threshold. It fires once on crossing and again only after the
// amount fell back to or below the threshold and crossed again: not once a minute while high.
// Pure logic; its owner calls it from one thread.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/alerts/alert_folding.h"
#include "db/spend_reader.h"

namespace tg::app::alerts {

struct SpendThresholds {
  std::optional<double> site;     // alerts.spend_per_hour
  std::optional<double> account;  // alerts.account_spend_per_hour
};

class SpendWatch {
 public:
  // The events for the thresholds crossed since the last call.
  std::vector<AlertEvent> update(const db::SpendTotals& lastHour, const SpendThresholds& limits,
                                 int64_t nowMs);

 private:
  bool siteOver_ = false;
  std::set<std::string> accountsOver_;
};

}  // namespace tg::app::alerts
