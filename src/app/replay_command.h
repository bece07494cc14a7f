#pragma once

// `trunkguard replay`: the call policy and the fraud detectors over a labelled call trace, on a
// simulated clock, with what got through per label (docs/fraud.md).

#include <iosfwd>
#include <string>

namespace tg::app {

struct ReplayOptions {
  std::string config;
  std::string trace;  // CSV (docs/fraud.md "Trace format"); "-" reads standard input
  bool json = false;
};

// Exit codes: 0 replayed (whatever got through), 2 bad input or config.
int runReplay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tg::app
