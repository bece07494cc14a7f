#pragma once

// `trunkguard explain`: how the call policy would treat one call, step by step (issue 7).

#include <iosfwd>
#include <string>
#include <vector>

#include "config/config.h"
#include "guard/policy/call_policy.h"

namespace tg::app {

struct ExplainOptions {
  std::string config;
  std::string zone = "pbx";  // pbx, trunk or public
  std::string account;
  std::string to;    // as dialled
  std::string from;  // caller ID (optional)
  std::string at;    // "YYYY-MM-DD HH:MM" in UTC; empty = now
};

struct ExplainReport {
  guard::policy::CallAttempt attempt;
  guard::policy::Admission decision;
  std::vector<guard::policy::RuleTrace> trace;
};

// How a fresh engine of config's policy treats the call of `options` (its config field unused):
// "" and *report filled, or why the input is not a call (the CLI and the admin API).
std::string explainCall(const config::Config& config, const ExplainOptions& options,
                        ExplainReport* report);

// Prints the normalised number, its class, every rule considered and the decision, on a fresh
// engine (no calls in progress). Exit codes: 0 allowed, 1 rejected, 2 bad input or config.
int runExplain(const ExplainOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tg::app
