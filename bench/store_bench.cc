// The state store's cost per operation (issue 11, item 6), to judge what moving a counter from
// a component's own map onto the store adds to its path: the check-and-count operations the
// call policy would use, from one thread and from two at once on different keys.

#include <benchmark/benchmark.h>

#include <string>

#include "base/clock.h"
#include "store/memory_store.h"

namespace {

tg::store::MemoryStore& store() {
  static tg::store::MemoryStore s(tg::base::SystemClock::instance());
  return s;
}

std::string keyFor(const benchmark::State& state, const char* what) {
  return std::string("policy:") + what + ":intl|20" + std::to_string(state.thread_index());
}

// Concurrency admit and release: counterAdd with a limit, then back.
void BM_CounterAdmitRelease(benchmark::State& state) {
  const std::string key = keyFor(state, "live");
  for (auto _ : state) {
    store().counterAdd(key, 1, 1000000, tg::store::kForever,
                       [](tg::store::Count c) { benchmark::DoNotOptimize(c); });
    store().counterAdd(key, -1, 0, tg::store::kForever, nullptr);
  }
}
BENCHMARK(BM_CounterAdmitRelease)->Threads(1)->Threads(2);

// Calls per minute: windowAdd, every event counted (the window keeps its newest 65,536).
void BM_WindowAddAndCheck(benchmark::State& state) {
  const std::string key = keyFor(state, "cpm");
  for (auto _ : state) {
    store().windowAdd(key, std::chrono::minutes(1), 0,
                      [](tg::store::Count c) { benchmark::DoNotOptimize(c); });
  }
}
BENCHMARK(BM_WindowAddAndCheck)->Threads(1)->Threads(2);

// A nonce-count style read and compare-and-set.
void BM_GetThenCompareAndSet(benchmark::State& state) {
  const std::string key = keyFor(state, "nonce");
  store().put(key, "1", tg::store::kForever);
  for (auto _ : state) {
    std::optional<std::string> held;
    store().get(key, [&held](std::optional<std::string> v) { held = std::move(v); });
    store().compareAndSet(key, held, "1", tg::store::kForever,
                          [](tg::store::CasResult r) { benchmark::DoNotOptimize(r); });
  }
}
BENCHMARK(BM_GetThenCompareAndSet)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
