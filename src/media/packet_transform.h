#pragma once

// Where a per-leg packet transform goes into the relay: SRTP unprotect on the way in from a
// leg, protect on the way out to it (src/media/srtp/ provides them). The relay calls it on the
// media thread that owns the stream, once per packet, in place.

#include <cstddef>
#include <cstdint>

namespace tg::media {

class PacketTransform {
 public:
  virtual ~PacketTransform() = default;
  // Rewrites the `size` bytes at `data` (the buffer holds `capacity`); false drops the packet
  // (it did not authenticate, or would not fit).
  virtual bool apply(uint8_t* data, size_t& size, size_t capacity, bool rtcp) = 0;
};

}  // namespace tg::media
