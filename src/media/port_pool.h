#pragma once

// The UDP port pairs the relay may bind (media.port_min..port_max): RTP on the even port, RTCP
// on the odd one after it. Taken when an offer needs a stream, given back when the call ends;
// a returned pair goes to the back of the line, so a late packet of an ended call rarely finds
// a new call on its port. Thread-safe: touched on offers and call ends, never per packet.

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace tg::media {

class PortPool {
 public:
  // Pairs from `low` (rounded up to even) while both ports are <= `high`.
  PortPool(uint16_t low, uint16_t high);

  // The even port of a free pair; nullopt when the range is used up.
  std::optional<uint16_t> take();
  void give(uint16_t evenPort);
  size_t available() const;

 private:
  mutable std::mutex mutex_;
  std::deque<uint16_t> free_;
};

}  // namespace tg::media
