// What the fraud detectors add to a call's admission (issue 15: at most 2 microseconds at
// 10,000 accounts): assess() of a risky call and its ended(), with 10,000 accounts that each
// have four weeks of history (countries, hours of the week, concurrency).
//
//   cmake --build build --target fraud_bench && build/bench/fraud_bench

#include <benchmark/benchmark.h>

#include <string>

#include "config/fraud_config.h"
#include "guard/fraud/fraud_detector.h"

namespace {

using tg::guard::fraud::FraudCall;
using tg::guard::fraud::FraudDetector;

constexpr int kAccounts = 10000;
const char* kCountries[] = {"+4420794", "+4930123", "+3314567", "+5255123", "+3491234"};

FraudCall makeCall(uint64_t id, int account, const std::string& e164, tg::base::TimePoint now) {
  FraudCall c;
  c.id = id;
  c.account = std::to_string(1000 + account);
  c.e164 = e164;
  c.destinationClass = "international";
  c.now = now;
  c.when = tg::base::SystemTime(std::chrono::hours(24 * 7 * 2900)) + (now - tg::base::TimePoint{});
  return c;
}

void BM_AssessRiskyCall(benchmark::State& state) {
  FraudDetector d{tg::config::FraudSettings{}};
  tg::base::TimePoint now{std::chrono::hours(24)};
  uint64_t id = 0;
  // History: each account calls two of its usual countries every working day for four weeks.
  for (int day = 0; day < 28; ++day) {
    for (int a = 0; a < kAccounts; ++a) {
      const FraudCall c = makeCall(
          ++id, a, std::string(kCountries[(a + day) % 5]) + std::to_string(1000 + a % 9000), now);
      d.assess(c);
      d.ended(c.id, now + std::chrono::minutes(3));
    }
    now += std::chrono::hours(24);
    d.expire(now);
  }
  int a = 0;
  for (auto _ : state) {
    const FraudCall c =
        makeCall(++id, a, std::string(kCountries[a % 5]) + std::to_string(1000 + a % 9000), now);
    benchmark::DoNotOptimize(d.assess(c));
    d.ended(c.id, now);
    a = (a + 1) % kAccounts;
    now += std::chrono::milliseconds(10);
  }
}
BENCHMARK(BM_AssessRiskyCall);

}  // namespace

BENCHMARK_MAIN();
