#include "app/replay_command.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "config/config_loader.h"
#include "guard/fraud/replay.h"

namespace tg::app {
namespace {

nlohmann::json toJson(const guard::fraud::ReplayReport& r) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [name, l] : r.labels) {
    labels[name] = {
        {"offered", l.offered},
        {"allowed", l.allowed},
        {"answered_allowed", l.answeredAllowed},
        {"minutes_allowed", l.minutesAllowed},
        {"cost_allowed", l.costAllowed},
        {"refused", l.refused},
        {"torn_down", l.tornDown},
        {"seconds_to_first_block",
         l.secondsToFirstBlock ? nlohmann::json(*l.secondsToFirstBlock) : nlohmann::json(nullptr)}};
  }
  return {{"labels", labels},
          {"refused_by_rule", r.refusedByRule},
          {"calls", r.calls},
          {"calls_per_second", r.callsPerSecond}};
}

void printText(const guard::fraud::ReplayReport& r, std::ostream& out) {
  out << fmt::format("{:<12} {:>8} {:>8} {:>8} {:>10} {:>10} {:>8} {:>9} {:>12}\n", "label",
                     "offered", "allowed", "answered", "minutes", "cost", "refused", "torn",
                     "1st block");
  for (const auto& [name, l] : r.labels) {
    out << fmt::format(
        "{:<12} {:>8} {:>8} {:>8} {:>10.1f} {:>10.2f} {:>8} {:>9} {:>12}\n",
        name.empty() ? "(none)" : name, l.offered, l.allowed, l.answeredAllowed, l.minutesAllowed,
        l.costAllowed, l.refused, l.tornDown,
        l.secondsToFirstBlock ? fmt::format("{:.0f} s", *l.secondsToFirstBlock) : std::string("-"));
  }
  if (!r.refusedByRule.empty()) {
    out << "refused by rule:";
    for (const auto& [rule, n] : r.refusedByRule) out << fmt::format(" {} {};", rule, n);
    out << "\n";
  }
  out << fmt::format("{} calls replayed, {:.0f} calls per second\n", r.calls, r.callsPerSecond);
}

}  // namespace

int runReplay(const ReplayOptions& o, std::ostream& out, std::ostream& err) {
  auto loaded = config::loadConfigFile(o.config);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) err << e.toString() << "\n";
    return 2;
  }
  guard::fraud::Trace trace;
  if (o.trace == "-") {
    trace = guard::fraud::readTrace(std::cin, "<stdin>");
  } else {
    std::ifstream in(o.trace);
    if (!in) {
      err << "replay: cannot open '" << o.trace << "': " << std::strerror(errno) << "\n";
      return 2;
    }
    trace = guard::fraud::readTrace(in, o.trace);
  }
  if (!trace.ok()) {
    err << "replay: " << trace.error << "\n";
    return 2;
  }
  std::string error;
  const auto report = guard::fraud::replay(*loaded.config, trace, &error);
  if (!report) {
    err << "replay: " << error << "\n";
    return 2;
  }
  if (o.json) {
    out << toJson(*report).dump() << "\n";
  } else {
    printText(*report, out);
  }
  return 0;
}

}  // namespace tg::app
