#pragma once

// The TCP and TLS connections of every worker, as one view shared by all of them: each worker
// owns (accepts, reads, writes) its own connections, and this directory lets any worker find
// an open connection to an address (RFC 3261 §18.1.1 reuse) whichever worker owns it, and
// holds the connection caps, which count across workers. Thread-safe; touched on accept,
// connect, close and on a stream send that names no connection, never per UDP packet.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "base/address.h"
#include "base/clock.h"
#include "transport/transport.h"

namespace tg::transport {

class ConnectionDirectory {
 public:
  struct Caps {
    size_t maxConnections = 0;           // 0: unlimited
    size_t maxConnectionsPerSource = 0;  // inbound, per source IP; 0: unlimited
    size_t maxConnectionsPerPrefix = 0;  // inbound, per /24 or /64; 0: unlimited
    // Slots of maxConnections that public-zone connections leave to the pbx and trunk zones,
    // whose sources are the configured peers.
    size_t reservedForPeers = 0;
    size_t maxAcceptsPerSourcePerSecond = 0;  // admitted per IP per second; 0: unlimited
    size_t maxAcceptsPerPrefixPerSecond = 0;  // admitted per /24 or /64 per second; 0: unlimited
    // tls:// connections admitted (each one a handshake to come) per second; 0: unlimited.
    size_t maxHandshakesPerSourcePerSecond = 0;
    size_t maxHandshakesPerPrefixPerSecond = 0;
  };
  enum class Admission : uint8_t {
    kAdmitted,
    kOverTotal,
    kOverPublicShare,
    kOverSource,
    kOverPrefix,
    kOverAcceptRate,
    kOverPrefixAcceptRate,
    kOverHandshakeRate,
    kOverPrefixHandshakeRate
  };

  // Records an inbound connection accepted at `now` unless a cap is full (then records
  // nothing).
  Admission admitInbound(ConnectionId id, Zone zone, config::TransportKind transport,
                         const base::Address& remote, const Caps& caps, base::TimePoint now);
  // Forgets the accept-rate windows that ended before `now` (bounded memory under a flood).
  void expireAcceptWindows(base::TimePoint now);
  static std::string_view describe(Admission admission);
  void addOutbound(ConnectionId id, Zone zone, config::TransportKind transport,
                   const base::Address& remote);
  void remove(ConnectionId id);
  // A connection whose peer proved itself (TransportManager::confirmConnection); forgotten with
  // the connection.
  void confirm(ConnectionId id);
  bool isConfirmed(ConnectionId id) const;

  // A connection of `zone` and `transport` to `remote` on any worker.
  std::optional<ConnectionId> findReusable(Zone zone, config::TransportKind transport,
                                           const base::Address& remote) const;
  size_t size() const;
  size_t inboundFrom(const base::Address& source) const;

 private:
  struct Entry {
    Zone zone;
    config::TransportKind transport;
    bool inbound;
    base::Address remote;
    bool confirmed = false;
  };
  void addLocked(ConnectionId id, const Entry& entry);

  mutable std::mutex mutex_;
  std::unordered_map<ConnectionId, Entry> byId_;
  std::unordered_multimap<base::Address, ConnectionId> byRemote_;
  std::unordered_map<base::Address, size_t> inboundPerIp_;      // key: the IP with port 0
  std::unordered_map<base::Address, size_t> inboundPerPrefix_;  // key: prefixOf()
  struct AcceptWindow {
    base::TimePoint start;
    size_t accepted = 0;
  };
  using Windows = std::unordered_map<base::Address, AcceptWindow>;
  // The window of `key` at `now` (a fresh one once a second has passed); nullptr when `cap`
  // is 0 (no limit).
  static AcceptWindow* windowOf(Windows& windows, const base::Address& key, size_t cap,
                                base::TimePoint now);
  // This second's admissions: accepts per IP and per prefix, TLS handshakes per IP and prefix.
  Windows acceptsPerIp_;
  Windows acceptsPerPrefix_;
  Windows handshakesPerIp_;
  Windows handshakesPerPrefix_;
};

}  // namespace tg::transport
