#pragma once

#include <chrono>
#include <string>

#include "config/policy_config.h"
#include "guard/policy/call_policy.h"

namespace tg::guard::policy::testing {

inline config::PolicySettings baseSettings(const char* country = "US") {
  config::PolicySettings s;
  s.enabled = true;
  s.enforce = true;
  // The bare engine: only the rules and limits a test writes (default_rules_test.cc covers
  // the built-in ones).
  s.defaultRules = false;
  s.defaultLimits = {0, 0, 0};
  for (auto& n : s.numbering) n = *config::numberingPreset(country);
  return s;
}

inline config::PolicyRule rule(std::string name, config::PolicyAction action,
                               std::vector<std::string> classes = {}) {
  config::PolicyRule r;
  r.name = std::move(name);
  r.action = action;
  r.classes = std::move(classes);
  return r;
}

// 2026-01-01 00:00:00 UTC plus an offset.
inline base::SystemTime utc(int year, int month, int day, int hour, int minute) {
  using namespace std::chrono;
  const sys_days d =
      year_month_day{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  return base::SystemTime(d.time_since_epoch() + hours(hour) + minutes(minute));
}

inline CallAttempt outbound(std::string account, std::string dialled,
                            base::TimePoint now = base::TimePoint{}) {
  CallAttempt a;
  a.zone = transport::Zone::kPbx;
  a.account = std::move(account);
  a.dialled = std::move(dialled);
  a.callerId = "+12125550100";
  a.when = utc(2026, 6, 10, 12, 0);
  a.now = now;
  return a;
}

inline std::unique_ptr<CallPolicy> make(const config::PolicySettings& s) {
  std::string error;
  auto p = CallPolicy::create(s, &error);
  if (!p) throw std::runtime_error(error);
  return p;
}

}  // namespace tg::guard::policy::testing
