#pragma once

// `trunkguard replay`: the real call policy and the fraud detectors run over a call trace on a
// simulated clock (no sockets, no timers), and what got through is reported per label
// (docs/fraud.md, "Replay").

#include <map>
#include <optional>
#include <string>

#include "guard/fraud/trace.h"

namespace tg::config {
struct Config;
}

namespace tg::guard::fraud {

struct LabelReport {
  uint64_t offered = 0;
  uint64_t allowed = 0;
  uint64_t answeredAllowed = 0;
  double minutesAllowed = 0;  // talk time that happened (up to a teardown)
  double costAllowed = 0;     // what the policy's rate table billed for it
  uint64_t refused = 0;       // by the policy or a detector
  uint64_t tornDown = 0;      // ended early by a spend cap, a duration cap or a detector
  std::optional<double> secondsToFirstBlock;  // from the label's first call
};

struct ReplayReport {
  std::map<std::string, LabelReport> labels;  // "" for calls without a label
  std::map<std::string, uint64_t> refusedByRule;
  uint64_t calls = 0;
  double callsPerSecond = 0;  // replay speed (wall clock)
};

// Replays `trace` with the policy and fraud settings of `config`. nullopt and *error when the
// policy cannot be built.
std::optional<ReplayReport> replay(const config::Config& config, const Trace& trace,
                                   std::string* error);

}  // namespace tg::guard::fraud
