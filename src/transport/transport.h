#pragma once

// The transport layer's contract with the layers above: inbound messages arrive as Packets
// tagged with their zone and source; outbound bytes go to a SendTarget. Everything runs on the
// owning worker's asio::io_context thread; no callback is ever invoked from another thread.

#include <cstdint>
#include <functional>
#include <string>

#include "base/address.h"
#include "base/clock.h"
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

// Counters for metrics and tests.
struct TransportStats {
  uint64_t datagramsReceived = 0;
  uint64_t datagramsSent = 0;
  uint64_t streamMessagesReceived = 0;
  uint64_t streamMessagesSent = 0;
  uint64_t connectionsAccepted = 0;
  uint64_t connectionsRefused = 0;   // over a cap
  uint64_t connectionsFiltered = 0;  // refused by the connection filter (banned, not allowed)
  uint64_t connectionsClosedIdle = 0;
  uint64_t connectionsClosedNoMessage = 0;  // silent past tcp.first_message_timeout_ms
  uint64_t connectionsClosedSlow = 0;       // a message incomplete after tcp.message_timeout_ms
  uint64_t connectionsEvicted = 0;          // silent public ones closed to make room
  uint64_t framingErrors = 0;
  uint64_t keepAlivePongs = 0;
  uint64_t oversizeDropped = 0;
  uint64_t sendErrors = 0;
  uint64_t keepAlivesIgnored = 0;     // empty or CRLF-only datagrams (UDP keep-alives)
  uint64_t tlsHandshakes = 0;         // completed, both directions
  uint64_t tlsHandshakeFailures = 0;  // garbage, no shared version/cipher, bad certificate
  uint64_t tlsHandshakeTimeouts = 0;  // the peer stalled (tls.handshake_timeout_ms)
  uint64_t tlsVerifyFailures = 0;     // a peer certificate refused (also in the failures)
};

}  // namespace tg::transport
