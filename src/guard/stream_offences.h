#pragma once

// The TCP/TLS offences (failed or stalled handshakes, framing errors) of each source, counted
// for the whole process: with several workers the kernel spreads one source's connections over
// all of them, so per-worker counts would let a source commit workers x the threshold before a
// ban. One table, shared by every worker's Guard like the ban list; offences are rare (each
// one ends a connection), so a mutex costs nothing that matters.

#include <chrono>
#include <cstdint>
#include <mutex>

#include "base/address.h"
#include "base/clock.h"
#include "guard/common/source_table.h"

namespace tg::guard {

class StreamOffences {
 public:
  // Bounded like every per-source table: a source forgotten at the cap only starts over.
  static constexpr size_t kMaxSources = 16384;

  // Counts one offence of `source` at `now`. True when it is the `threshold`-th within
  // `window` of the first one counted; the count then starts over.
  bool add(const base::Address& source, base::TimePoint now, uint32_t threshold,
           std::chrono::seconds window);
  // Forgets the sources whose window ended (housekeeping; any worker).
  void expire(base::TimePoint now, std::chrono::seconds window);
  size_t size() const;

 private:
  struct Offences {
    base::TimePoint windowStart{};
    uint32_t count = 0;
  };
  mutable std::mutex mutex_;
  SourceTable<Offences> table_{kMaxSources};
};

}  // namespace tg::guard
