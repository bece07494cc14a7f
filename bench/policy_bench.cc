// Call policy evaluation per INVITE (issue 7): normalise + classify + rules + limits, with
// 10,000 class prefixes, 10,000 rates and 200 rules loaded. Goal: under 2 microseconds.
//
//   cmake --build build-policy --target policy_bench && build-policy/bench/policy_bench

#include <benchmark/benchmark.h>

#include <string>

#include "config/policy_config.h"
#include "guard/policy/call_policy.h"

namespace {

using tg::config::PolicyAction;
using tg::config::PolicyRule;

tg::config::PolicySettings settings() {
  tg::config::PolicySettings s;
  s.enabled = true;
  for (auto& n : s.numbering) n = *tg::config::numberingPreset("US");
  const char* classes[] = {"premium", "high-risk", "international", "mobile", "national"};
  for (int i = 0; i < 10000; ++i) {
    const std::string prefix = std::to_string(20 + i % 80) + std::to_string(1000 + i);
    s.classOverrides.push_back({prefix, classes[i % 5]});
    s.rates.push_back({prefix, 0.01 * (i % 50), 60, 60});
  }
  s.groups["sales"] = {"3*", "401"};
  // 199 rules that do not match the benchmark call (other accounts, groups, prefixes), the way
  // a large site's per-department rules look, then the one that allows it.
  for (int i = 0; i < 199; ++i) {
    PolicyRule r;
    r.name = "rule" + std::to_string(i);
    r.action = i % 2 ? PolicyAction::kDeny : PolicyAction::kAllow;
    switch (i % 4) {
      case 0:
        r.accounts = {std::to_string(500 + i), std::to_string(600 + i) + "*"};
        break;
      case 1:
        r.groups = {"sales"};
        r.classes = {"international"};
        break;
      case 2:
        r.prefixes = {"+" + std::to_string(9000 + i)};
        break;
      default:
        r.classes = {"satellite", "toll-free"};
        r.maxConcurrent = 5;
        break;
    }
    s.rules.push_back(std::move(r));
  }
  PolicyRule allow;
  allow.name = "intl";
  allow.classes = {"international", "mobile"};
  allow.action = PolicyAction::kAllow;
  allow.maxConcurrent = 1000000;
  allow.callsPerMinute = 0;
  s.rules.push_back(std::move(allow));
  return s;
}

void BM_PolicyAdmit(benchmark::State& state) {
  std::string error;
  auto policy = tg::guard::policy::CallPolicy::create(settings(), &error);
  if (!policy) {
    state.SkipWithError(error.c_str());
    return;
  }
  tg::guard::policy::CallAttempt a;
  a.zone = tg::transport::Zone::kPbx;
  a.account = "201";
  a.dialled = "011447700900123";
  a.callerId = "+12125550100";
  a.when = std::chrono::system_clock::now();
  for (auto _ : state) {
    auto d = policy->admit(a);
    if (!d.allowed) {
      state.SkipWithError("the benchmark call should be allowed");
      break;
    }
    policy->ended(d.handle, a.now);  // keeps the live-call table at one entry
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_PolicyAdmit);

}  // namespace
