#pragma once

// The packet-rate and bitrate ceilings of one direction of one stream (media.max_packets_per_s,
// media.max_kbps): two token buckets holding one second's worth, refilled by the millisecond.
// A flood from a latched peer (or a peer gone wrong) is cut to the ceiling instead of reaching
// the other side at any rate. Media thread only; integers only, no allocation.

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace tg::media {

class RateCeiling {
 public:
  // 0 turns a ceiling off.
  void configure(int packetsPerSecond, int kbps) {
    packetsPerSecond_ = std::max(0, packetsPerSecond);
    kbps_ = std::max(0, kbps);
    started_ = false;
  }

  // Whether a packet of `bytes` arriving at `nowMs` fits under both ceilings (and takes its
  // tokens when it does).
  bool allow(int64_t nowMs, size_t bytes) {
    if (packetsPerSecond_ == 0 && kbps_ == 0) return true;
    const int64_t packetCapacity = int64_t{packetsPerSecond_} * 1000;  // milli-packets
    const int64_t bitCapacity = int64_t{kbps_} * 1000;
    if (!started_) {
      started_ = true;
      lastMs_ = nowMs;
      milliPackets_ = packetCapacity;
      bits_ = bitCapacity;
    }
    const int64_t elapsed = std::max<int64_t>(0, nowMs - lastMs_);
    lastMs_ = std::max(lastMs_, nowMs);
    milliPackets_ = std::min(packetCapacity, milliPackets_ + elapsed * packetsPerSecond_);
    bits_ = std::min(bitCapacity, bits_ + elapsed * kbps_);
    const int64_t needBits = static_cast<int64_t>(bytes) * 8;
    if (packetsPerSecond_ != 0 && milliPackets_ < 1000) return false;
    if (kbps_ != 0 && bits_ < needBits) return false;
    if (packetsPerSecond_ != 0) milliPackets_ -= 1000;
    if (kbps_ != 0) bits_ -= needBits;
    return true;
  }

 private:
  int packetsPerSecond_ = 0;
  int kbps_ = 0;
  bool started_ = false;
  int64_t lastMs_ = 0;
  int64_t milliPackets_ = 0;
  int64_t bits_ = 0;
};

}  // namespace tg::media
