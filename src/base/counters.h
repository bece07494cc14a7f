#pragma once

// Counters declared once. A component lists its counters in an X-macro, X(name, help), and
// builds its stats struct from that list with the two macros below: the fields, and the sum
// over workers (`+=`), so a new counter can never be left out of a snapshot. The help text is
// what a metrics exposition will print for it.
//
//   #define TG_EXAMPLE_COUNTERS(X) X(received, "datagrams read") X(dropped, "...")
//   struct alignas(tg::base::kCounterAlign) ExampleStats {
//     TG_EXAMPLE_COUNTERS(TG_COUNTER_FIELD)
//     TG_COUNTERS_SUM(ExampleStats, TG_EXAMPLE_COUNTERS)
//   };
//
// Each field is a base::Counter, a relaxed atomic: the worker that owns the struct counts on
// it, and any thread (the server's snapshot, the control socket) may read or copy it at any
// time without asking the worker. A per-worker struct is aligned to a cache line of its own
// (kCounterAlign), so one worker's counting never invalidates the line another reads or writes.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tg::base {

// A cache line on the machines we run on (x86-64, arm64).
inline constexpr size_t kCounterAlign = 64;

class Counter {
 public:
  Counter() = default;
  Counter(uint64_t value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  Counter(const Counter& other) : value_(other.load()) {}
  Counter& operator=(const Counter& other) {
    value_.store(other.load(), std::memory_order_relaxed);
    return *this;
  }

  Counter& operator++() {
    value_.fetch_add(1, std::memory_order_relaxed);
    return *this;
  }
  Counter& operator+=(uint64_t n) {
    value_.fetch_add(n, std::memory_order_relaxed);
    return *this;
  }
  uint64_t load() const { return value_.load(std::memory_order_relaxed); }
  operator uint64_t() const { return load(); }  // NOLINT(google-explicit-constructor)

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace tg::base

#define TG_COUNTER_FIELD(name, help) ::tg::base::Counter name;
#define TG_COUNTER_ADD(name, help) name += other.name.load();
#define TG_COUNTERS_SUM(Type, LIST)     \
  Type& operator+=(const Type& other) { \
    LIST(TG_COUNTER_ADD)                \
    return *this;                       \
  }
