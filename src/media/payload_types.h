#pragma once

// The RTP payload types one leg's SDP listed for one stream (the formats of its m= line, after
// the codec allowlist): the relay drops an RTP packet whose payload type neither leg listed, so
// that a latched peer (or whoever holds its keys) cannot push a codec the call never
// negotiated. telephone-event and comfort noise pass when listed, like any format. Media thread
// only; a bit per payload type, no allocation.

#include <cstdint>
#include <span>
#include <string>

namespace tg::media {

class PayloadTypes {
 public:
  // The numeric formats of an m= line (0-127); others (a non-RTP transport's) are ignored.
  static PayloadTypes of(std::span<const std::string> formats) {
    PayloadTypes set;
    for (const std::string& f : formats) {
      if (f.empty() || f.size() > 3) continue;
      int pt = 0;
      bool digits = true;
      for (char c : f) {
        digits = digits && c >= '0' && c <= '9';
        pt = pt * 10 + (c - '0');
      }
      if (digits && pt <= 127) set.add(static_cast<uint8_t>(pt));
    }
    return set;
  }

  void add(uint8_t pt) { bits_[(pt >> 6) & 1] |= uint64_t{1} << (pt & 63); }
  bool contains(uint8_t pt) const { return (bits_[(pt >> 6) & 1] >> (pt & 63)) & 1; }
  bool empty() const { return bits_[0] == 0 && bits_[1] == 0; }

 private:
  uint64_t bits_[2] = {0, 0};
};

// Whether an RTP packet (not RTCP) may cross: its payload type (RFC 3550 §5.1: the second
// byte without the marker bit) is one either leg listed. With no list from either leg (nothing
// known yet) everything passes.
inline bool payloadTypeAllowed(const uint8_t* data, size_t size, const PayloadTypes& a,
                               const PayloadTypes& b) {
  if (a.empty() && b.empty()) return true;
  if (size < 2) return false;
  const uint8_t pt = data[1] & 0x7f;
  return a.contains(pt) || b.contains(pt);
}

}  // namespace tg::media
