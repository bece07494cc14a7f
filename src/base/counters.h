#pragma once

// Counters declared once. A component lists its counters in an X-macro, X(name, help), and
// builds its stats struct from that list with the two macros below: the fields, and the sum
// over workers (`+=`), so a new counter can never be left out of a snapshot. The help text is
// what a metrics exposition will print for it.
//
//   #define TG_EXAMPLE_COUNTERS(X) X(received, "datagrams read") X(dropped, "...")
//   struct ExampleStats {
//     TG_EXAMPLE_COUNTERS(TG_COUNTER_FIELD)
//     TG_COUNTERS_SUM(ExampleStats, TG_EXAMPLE_COUNTERS)
//   };

#include <cstdint>

#define TG_COUNTER_FIELD(name, help) uint64_t name = 0;
#define TG_COUNTER_ADD(name, help) name += other.name;
#define TG_COUNTERS_SUM(Type, LIST)            \
  Type& operator+=(const Type& other) {        \
    LIST(TG_COUNTER_ADD)                       \
    return *this;                              \
  }
