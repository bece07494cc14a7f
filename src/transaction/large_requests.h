#pragma once

// RFC 3261 §18.1.1: a request larger than 1300 bytes (the path MTU is not known) must go over
// a congestion-controlled transport, not as a fragmented UDP datagram. A request the gateway
// would send over UDP that is that large goes over TCP to the same address and port instead,
// its top Via naming the zone's tcp:// listener. When that cannot be (no tcp:// listener in
// the zone, or the peer refused TCP), it goes over UDP, counted and logged, never truncated.
// Responses are not concerned: they go back the way their request came (§18.2.2).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "base/counters.h"
#include "transport/transport.h"

namespace tg::transaction {

#define TG_LARGE_REQUEST_COUNTERS(X)                                                       \
  X(overStream, "requests over 1300 bytes sent over TCP instead of UDP (RFC 3261 18.1.1)") \
  X(overUdp, "requests over 1300 bytes sent over UDP: no tcp listener, a phone, refused")  \
  X(fellBackToUdp, "requests moved to TCP and sent over UDP after the peer refused TCP")

struct alignas(base::kCounterAlign) LargeRequestStats {
  TG_LARGE_REQUEST_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(LargeRequestStats, TG_LARGE_REQUEST_COUNTERS)
};

class LargeRequests {
 public:
  // §18.1.1's threshold when the path MTU is unknown.
  static constexpr size_t kUdpLimit = 1300;
  // After a peer refused TCP, its large requests go over UDP this long without trying again.
  static constexpr base::Duration kRefusedFor = std::chrono::minutes(10);

  using EndpointLookup =
      std::function<const transport::LocalEndpoint*(transport::Zone, config::TransportKind)>;
  LargeRequests(EndpointLookup endpoints, const base::Clock& clock)
      : endpoints_(std::move(endpoints)), clock_(clock) {}

  // When `bytes`, to go to `target`, must move from UDP to TCP: rewrites their top Via and
  // returns the TCP target. nullopt: send them as they are.
  std::optional<transport::SendTarget> moveToStream(const transport::SendTarget& target,
                                                    std::string& bytes);
  // The peer at `tcpTarget` refused (or broke) the connection `requests` moved requests went
  // on: they go back to UDP, and so do the next ones to that address for kRefusedFor.
  void refused(const transport::SendTarget& tcpTarget, size_t requests);

  const LargeRequestStats& stats() const { return stats_; }

 private:
  void sentOverUdp(const transport::SendTarget& target, std::string_view why);

  EndpointLookup endpoints_;
  const base::Clock& clock_;
  // Addresses that refused TCP, until when (bounded: one entry per peer that refused).
  std::unordered_map<std::string, base::TimePoint> refusedUntil_;
  bool warnedNoListener_[3] = {false, false, false};  // per zone, logged once
  LargeRequestStats stats_;
};

}  // namespace tg::transaction
