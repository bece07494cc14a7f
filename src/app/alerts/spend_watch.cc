#include "app/alerts/spend_watch.h"

#include <fmt/format.h>

namespace tg::app::alerts {

namespace {

AlertEvent spendEvent(std::string rule, std::string source, std::string reason, int64_t nowMs) {
  AlertEvent e;
  e.rule = std::move(rule);
  e.zone = "spend";
  e.source = std::move(source);
  e.reason = std::move(reason);
  e.action = "alert only (calls are not refused by this threshold)";
  e.timeMs = nowMs;
  return e;
}

}  // namespace

std::vector<AlertEvent> SpendWatch::update(const db::SpendTotals& lastHour,
                                           const SpendThresholds& limits, int64_t nowMs) {
  std::vector<AlertEvent> out;
  const bool siteOver = limits.site && lastHour.total > *limits.site;
  if (siteOver && !siteOver_) {
    out.push_back(spendEvent("spend.hourly", "site",
                             fmt::format("calls that ended in the last 60 minutes cost {:.4f}, "
                                         "over alerts.spend_per_hour {:.4f}",
                                         lastHour.total, *limits.site),
                             nowMs));
  }
  siteOver_ = siteOver;

  std::set<std::string> over;
  if (limits.account) {
    for (const auto& [account, cost] : lastHour.byAccount) {
      if (cost <= *limits.account) continue;
      over.insert(account);
      if (accountsOver_.contains(account)) continue;
      const std::string name = account.empty() ? "(no account)" : account;
      out.push_back(spendEvent("spend.account_hourly", name,
                               fmt::format("account {}: calls that ended in the last 60 minutes "
                                           "cost {:.4f}, over alerts.account_spend_per_hour {:.4f}",
                                           name, cost, *limits.account),
                               nowMs));
    }
  }
  // Accounts back at or under the threshold (or gone from the hour) may alert again.
  accountsOver_ = std::move(over);
  return out;
}

}  // namespace tg::app::alerts
