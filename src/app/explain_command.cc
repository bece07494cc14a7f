#include "app/explain_command.h"

#include <fmt/format.h>

#include <chrono>
#include <ostream>

#include "config/config_loader.h"
#include "guard/policy/call_policy.h"

namespace tg::app {
namespace {

// "2026-11-28 03:00" (UTC).
bool parseAt(const std::string& text, base::SystemTime* out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) != 5 &&
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) != 5) {
    return false;
  }
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h < 0 || h > 23 || mi < 0 || mi > 59) return false;
  *out = base::SystemTime(sys_days(ymd).time_since_epoch() + hours(h) + minutes(mi));
  return true;
}

}  // namespace

std::string explainCall(const config::Config& config, const ExplainOptions& o,
                        ExplainReport* report) {
  guard::policy::CallAttempt& a = report->attempt;
  if (o.zone == "pbx") {
    a.zone = transport::Zone::kPbx;
  } else if (o.zone == "trunk") {
    a.zone = transport::Zone::kTrunk;
  } else if (o.zone == "public") {
    a.zone = transport::Zone::kPublic;
  } else {
    return "unknown zone '" + o.zone + "'; use pbx, trunk or public";
  }
  a.when = std::chrono::system_clock::now();
  if (!o.at.empty() && !parseAt(o.at, &a.when)) {
    return "at '" + o.at + "' is not a time; write \"YYYY-MM-DD HH:MM\" (UTC)";
  }
  std::string error;
  auto policy = guard::policy::CallPolicy::create(config.policy, &error);
  if (!policy) return error;
  a.account = o.account;
  a.dialled = o.to;
  a.callerId = o.from;
  a.anonymous = o.from == "anonymous";
  report->decision = policy->admit(a, &report->trace);
  return {};
}

int runExplain(const ExplainOptions& o, std::ostream& out, std::ostream& err) {
  auto loaded = config::loadConfigFile(o.config);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) err << e.toString() << "\n";
    return 2;
  }
  ExplainReport report;
  if (std::string why = explainCall(*loaded.config, o, &report); !why.empty()) {
    err << "explain: " << why << "\n";
    return 2;
  }
  const guard::policy::CallAttempt& a = report.attempt;
  const guard::policy::Admission& d = report.decision;
  const std::vector<guard::policy::RuleTrace>& trace = report.trace;

  out << fmt::format("call     zone {}, account '{}', dialled '{}'{}\n", o.zone, o.account, o.to,
                     o.from.empty() ? "" : ", from '" + o.from + "'");
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(a.when.time_since_epoch());
  const auto days = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{std::chrono::sys_days(days)};
  const auto tod = secs - days;
  out << fmt::format("time     {:04}-{:02}-{:02} {:02}:{:02} UTC\n", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     tod.count() / 3600, tod.count() % 3600 / 60);
  out << fmt::format("number   {}\n", d.e164.empty() ? "(not E.164)" : d.e164);
  out << fmt::format("class    {}\n", d.destinationClass.empty() ? "-" : d.destinationClass);
  out << "steps\n";
  for (const auto& t : trace) {
    out << fmt::format("  {} {:<24} {}\n", t.matched ? "*" : "-", t.rule, t.why);
  }
  if (d.shadow) {
    out << fmt::format("decision ADMIT (shadow mode; enforcing would answer {} {}, rule {})\n",
                       d.code, d.reason, d.rule);
  } else if (d.allowed) {
    out << fmt::format("decision ALLOW by {}; send on as '{}'", d.rule, d.forwardUser);
    if (d.callerIdRewrite) out << fmt::format("; caller ID rewritten to {}", *d.callerIdRewrite);
    if (d.maxDuration.count() > 0) out << fmt::format("; ends after {}s", d.maxDuration.count());
    out << "\n";
  } else {
    out << fmt::format("decision REJECT {} {} (rule {})\n", d.code, d.reason, d.rule);
  }
  return d.allowed ? 0 : 1;
}

}  // namespace tg::app
