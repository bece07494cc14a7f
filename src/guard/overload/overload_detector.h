#pragma once

// Overload protection (guard.overload). The gateway feeds one sample per interval: how busy
// its loop was and how many datagrams wait in its sockets, in total and for the pbx and trunk
// zones (which only the PBX and the providers may use). Over a threshold the detector sheds
// new out-of-dialog requests of untrusted sources (silence); if that does not bring the load
// down and the trusted zones are themselves a large part of it, trusted peers' new requests
// too (503 + Retry-After). A flood on the public zone alone never costs the PBX its calls:
// turning them away would not relieve it. In-dialog requests, ACK and CANCEL always pass:
// finishing established calls is what frees capacity. One per worker.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "config/guard_config.h"
#include "guard/filter.h"

namespace tg::guard::overload {

enum class OverloadLevel : uint8_t { kNormal, kShedUntrusted, kShedAll };
std::string_view levelName(OverloadLevel level);  // "normal", "shed_untrusted", "shed_all"

struct LoadSample {
  base::Duration busy{};         // the loop's time on admitted packets
  base::Duration trustedBusy{};  // of which on the pbx and trunk zones
  base::Duration interval{};
  size_t queuedDatagrams = 0;         // the largest backlog over the worker's sockets
  size_t trustedQueuedDatagrams = 0;  // the largest over the pbx and trunk zones' sockets
};

class OverloadDetector final : public Filter {
 public:
  // Hysteresis: a level is entered on the first sample over a threshold. shedAll follows
  // after kEscalateSamples more overloaded samples (or at once with twice the queue
  // threshold) when the trusted zones carry a large share: half of cpu_percent busy, or a
  // backlog over the queue threshold. Levels are left one at a time after kCalmSamples samples
  // under the resume marks (kResumeBandPercent under cpu_percent, half of queue_datagrams);
  // shedAll also steps down after kCalmSamples samples without that trusted share.
  static constexpr int kEscalateSamples = 3;
  static constexpr int kCalmSamples = 3;
  static constexpr double kResumeBandPercent = 10;

  explicit OverloadDetector(const config::OverloadSettings& settings);

  // One sample (queue depths: see receiveQueueDatagrams).
  void recordSample(const LoadSample& sample);
  OverloadLevel level() const { return level_; }
  double lastCpuPercent() const { return lastCpuPercent_; }

  std::string_view name() const override { return "overload"; }
  Verdict onRequest(const Request& request) override;

 private:
  config::OverloadSettings settings_;
  OverloadLevel level_ = OverloadLevel::kNormal;
  int overloadedSamples_ = 0;     // in a row, at the current level
  int calmSamples_ = 0;           // in a row
  int untrustedOnlySamples_ = 0;  // overloaded in a row at shedAll without the trusted share
  double lastCpuPercent_ = 0;
};

// Datagrams waiting in a UDP socket's receive queue, estimated from the bytes the kernel has
// charged to it (SO_MEMINFO, Linux >= 4.6), divided by `bytesPerDatagram` (the kernel charges
// a datagram's buffer, about 2 KiB for a typical SIP datagram on a 1500-byte MTU, not its
// payload). nullopt when the kernel cannot tell.
std::optional<size_t> receiveQueueDatagrams(int fd, size_t bytesPerDatagram = 2048);

// For loops that read with recvmmsg: a full batch means more is waiting. Counts the datagrams
// read in consecutive full batches as a lower bound of the backlog; a short batch means the
// socket ran dry.
class BatchBacklog {
 public:
  void onBatch(size_t received, size_t capacity) {
    backlog_ = received >= capacity && capacity > 0 ? backlog_ + received : 0;
  }
  size_t datagrams() const { return backlog_; }

 private:
  size_t backlog_ = 0;
};

}  // namespace tg::guard::overload
