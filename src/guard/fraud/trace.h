#pragma once

// The call trace `trunkguard replay` reads (docs/fraud.md, "Trace format"): CSV with a header,
// one call per line. Other tools produce it, so the format is kept stable.

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "transport/transport.h"

namespace tg::guard::fraud {

struct TraceCall {
  base::SystemTime start{};
  transport::Zone zone = transport::Zone::kPbx;
  std::string source;
  std::string account;
  std::string from;
  std::string to;
  std::optional<double> answerAfterS;  // empty: never answered
  double durationS = 0;                // talk time
  std::optional<double> ringS;         // optional column: how long an unanswered call rang
  std::string label;                   // never shown to the detectors
};

struct Trace {
  std::vector<TraceCall> calls;  // in file order
  std::string error;             // "trace.csv:12: column 'start': ..." when it cannot be read
  bool ok() const { return error.empty(); }
};

// `name` is only used in messages.
Trace readTrace(std::istream& in, const std::string& name);

// "2026-03-02T03:14:15Z", with optional fractional seconds and "+00:00".
std::optional<base::SystemTime> parseUtcTime(std::string_view text);

}  // namespace tg::guard::fraud
