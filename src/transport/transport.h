#pragma once

// The transport layer's contract with the layers above: inbound messages arrive as Packets
// tagged with their zone and source; outbound bytes go to a SendTarget. Everything runs on the
// owning worker's asio::io_context thread; no callback is ever invoked from another thread.

#include <cstdint>
#include <functional>
#include <string>

#include "base/address.h"
#include "base/clock.h"
#include "base/counters.h"
#include "config/config.h"

namespace tg::transport {

enum class Zone : uint8_t { kPbx, kTrunk, kPublic };
std::string_view zoneName(Zone z);  // "pbx", "trunk", "public"

using ConnectionId = uint64_t;  // 0 for datagrams

// A connection id carries the worker that owns the connection in its low bits, so a send from
// any worker finds the owner without a lookup (config allows at most 64 workers).
constexpr unsigned kConnectionOwnerBits = 8;
constexpr ConnectionId makeConnectionId(uint64_t sequence, size_t owner) {
  return (sequence << kConnectionOwnerBits) | static_cast<ConnectionId>(owner);
}
constexpr size_t connectionOwner(ConnectionId id) {
  return static_cast<size_t>(id & ((ConnectionId{1} << kConnectionOwnerBits) - 1));
}

struct Packet {
  std::string bytes;  // one datagram, or one framed stream message
  base::Address source;
  base::Address local;  // the listener's address
  config::TransportKind transport = config::TransportKind::kUdp;
  Zone zone = Zone::kPbx;
  ConnectionId connection = 0;  // the TCP/TLS connection it arrived on
  base::TimePoint received{};
};

struct SendTarget {
  Zone zone = Zone::kPbx;  // selects the local listener to send from
  config::TransportKind transport = config::TransportKind::kUdp;
  base::Address address;
  ConnectionId connection = 0;  // reuse this connection when still open (responses, RFC 3261
                                // §18.2.2); otherwise reuse or open one to `address`
};

// What the upper layers need to know about a local listener to write Via and Contact.
struct LocalEndpoint {
  Zone zone = Zone::kPbx;
  config::TransportKind transport = config::TransportKind::kUdp;
  base::Address address;
};

using PacketHandler = std::function<void(Packet&&)>;
// Called (asynchronously, on the io_context thread) when bytes could not be delivered: a TCP
// connect failed, a TLS handshake or certificate check failed, or a connection broke before
// the write completed. ICMP errors on UDP are not reported.
using SendErrorHandler = std::function<void(const SendTarget&, std::string_view reason)>;

// Counters for metrics, `trunkguard status` and tests (base/counters.h: the owning worker
// counts, any thread reads).
#define TG_TRANSPORT_COUNTERS(X)                                                               \
  X(datagramsReceived, "UDP datagrams passed on")                                              \
  X(datagramsSent, "UDP datagrams sent")                                                       \
  X(datagramsReassembled,                                                                      \
    "UDP datagrams that arrived as IP fragments (reassembled by the kernel), before the size " \
    "check")                                                                                   \
  X(streamMessagesReceived, "SIP messages read from TCP/TLS connections")                      \
  X(streamMessagesSent, "SIP messages written to TCP/TLS connections")                         \
  X(connectionsAccepted, "inbound TCP/TLS connections accepted")                               \
  X(connectionsRefused, "inbound connections reset: a connection cap or accept rate")          \
  X(connectionsFiltered, "inbound connections reset: banned or not allowed in the zone")       \
  X(connectionsClosedIdle, "connections closed after tcp.idle_timeout_s")                      \
  X(connectionsClosedNoMessage, "silent past tcp.first_message_timeout_ms")                    \
  X(connectionsClosedSlow, "a message incomplete after tcp.message_timeout_ms")                \
  X(connectionsEvicted, "silent public connections closed to make room")                       \
  X(framingErrors, "TCP/TLS streams that were not SIP (bad Content-Length, garbage)")          \
  X(keepAlivePongs, "CRLF keep-alive pongs sent on connections")                               \
  X(oversizeDropped,                                                                           \
    "messages over limits.max_message_bytes dropped unread (UDP datagrams and stream "         \
    "messages)")                                                                               \
  X(sendErrors, "sends that failed")                                                           \
  X(keepAlivesIgnored, "empty or CRLF-only datagrams (UDP keep-alives)")                       \
  X(tlsHandshakes, "TLS handshakes completed, both directions")                                \
  X(tlsHandshakeFailures,                                                                      \
    "TLS handshakes failed: garbage, no shared version/cipher, bad "                           \
    "certificate")                                                                             \
  X(tlsHandshakeTimeouts, "TLS handshakes the peer stalled (tls.handshake_timeout_ms)")        \
  X(tlsVerifyFailures, "peer certificates refused (also in the handshake failures)")

struct alignas(base::kCounterAlign) TransportStats {
  TG_TRANSPORT_COUNTERS(TG_COUNTER_FIELD)
  TG_COUNTERS_SUM(TransportStats, TG_TRANSPORT_COUNTERS)
};

}  // namespace tg::transport
