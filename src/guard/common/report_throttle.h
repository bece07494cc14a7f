#pragma once

// "Has this source been reported within the interval?" for log lines an attacker can trigger
// at will: the first from a source is written, the rest within the interval are only counted,
// and the next line written says how many were held back. Direct-mapped, no allocation: a
// collision between two sources only lets a line through early (and loses the other's count).

#include <array>
#include <cstdint>
#include <optional>

#include "base/address.h"
#include "base/clock.h"
#include "guard/common/source_table.h"

namespace tg::guard {

class ReportThrottle {
 public:
  // nullopt: hold this one back. Otherwise write it, with the number held back since the
  // source's last written line.
  std::optional<uint64_t> admit(const base::Address& source, base::TimePoint now,
                                base::Duration interval) {
    const SourceKey k = SourceKey::of(source);
    const uint64_t key = SourceKeyHash::mix(k.high ^ SourceKeyHash::mix(k.low)) | 1;
    Slot& slot = slots_[key % slots_.size()];
    if (slot.key == key && now - slot.at < interval) {
      ++slot.held;
      return std::nullopt;
    }
    const uint64_t held = slot.key == key ? slot.held : 0;
    slot = Slot{key, now, 0};
    return held;
  }

 private:
  struct Slot {
    uint64_t key = 0;  // 0: empty (a real key has its low bit set)
    base::TimePoint at{};
    uint64_t held = 0;
  };
  std::array<Slot, 1024> slots_{};
};

}  // namespace tg::guard
