#pragma once

// Per-source state with a hard cap: a flood from many (possibly spoofed) sources must not grow
// memory without bound. At capacity the least recently seen source is forgotten and its slot
// reused, so once the table is full it allocates nothing more.

#include <netinet/in.h>

#include <cstdint>
#include <cstring>

#include "base/address.h"
#include "base/random.h"
#include "guard/common/bounded_table.h"

namespace tg::guard {

// The part of an address that identifies a source for counting: the IPv4 address (IPv4-mapped
// IPv6 counts as IPv4), or the /64 of an IPv6 address, since one IPv6 host usually holds a
// whole /64 and could otherwise spread a flood over 2^64 addresses. The port never counts:
// scanners change it freely. `tag` lets one table keep separate state per zone.
struct SourceKey {
  uint64_t high = 0;
  uint64_t low = 0;
  uint8_t tag = 0;

  bool operator==(const SourceKey&) const = default;

  static SourceKey of(const base::Address& a, uint8_t tag = 0) {
    SourceKey k;
    k.tag = tag;
    if (a.isV4()) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(a.sockaddrPtr());
      k.low = 0xFFFF00000000ull | ntohl(v4->sin_addr.s_addr);
    } else if (a.isV6()) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a.sockaddrPtr());
      uint8_t b[16];
      std::memcpy(b, &v6->sin6_addr, 16);
      static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
      if (std::memcmp(b, kMapped, 12) == 0) {
        k.low = 0xFFFF00000000ull | (uint64_t{b[12]} << 24) | (uint64_t{b[13]} << 16) |
                (uint64_t{b[14]} << 8) | b[15];
      } else {
        for (int i = 0; i < 8; ++i) k.high = (k.high << 8) | b[i];
        k.low = 1;  // marks IPv6 (an IPv4 key has high 0 and the 0xFFFF marker)
      }
    }
    return k;
  }
};

// Seeded per table: source addresses are chosen by the attacker, who must not be able to aim
// them all at one hash bucket.
struct SourceKeyHash {
  uint64_t seed = base::randomU64();
  static uint64_t mix(uint64_t x) {  // splitmix64 finalizer
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }
  size_t operator()(const SourceKey& k) const {
    return mix(k.high ^ seed) ^ mix(k.low + (uint64_t{k.tag} << 56) + (seed >> 1));
  }
};

// Per-source state (per-worker filters); see BoundedTable.
template <typename T>
using SourceTable = BoundedTable<SourceKey, T, SourceKeyHash>;

}  // namespace tg::guard
