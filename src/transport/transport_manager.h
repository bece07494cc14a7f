#pragma once

// Owns every listener of one worker (UDP sockets with SO_REUSEPORT and recvmmsg batches; TCP
// and TLS acceptors and connections with the stream framer) and routes outbound bytes.

// A standard header before asio: asio 1.22 chooses aligned_alloc/free or operator new/delete
// from a libstdc++ macro, and translation units that see it differently mix the two
// (AddressSanitizer: alloc-dealloc-mismatch).
// clang-format off
#include <cstddef>
// clang-format on
#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "transport/stream_offence.h"
#include "transport/transport.h"

namespace tg::transport {

class CaptureTap;
class ConnectionDirectory;

// What is not operator configuration: the clock, the worker, and overrides for the config's
// timings and limits that tests shorten (unset: the config's value).
struct TransportOptions {
  const base::Clock* clock = nullptr;  // nullptr: base::SystemClock
  // Replaces config.tcp.connectTimeout (outbound TCP connect) when set.
  std::optional<std::chrono::milliseconds> connectTimeout{};
  // Replaces config.tls.handshakeTimeout when set.
  std::optional<std::chrono::milliseconds> tlsHandshakeTimeout{};
  // Replaces config.tcp.idleTimeout (whole seconds) when set; zero disables idle closing.
  std::optional<std::chrono::milliseconds> idleTimeout{};
  // How often idle connections are looked for; zero: a quarter of the idle timeout, at most 1 s.
  std::chrono::milliseconds idleSweepInterval{0};
  // Replaces config.tcp.maxSendQueueBytes (a slower reader is disconnected) when set.
  std::optional<size_t> maxQueuedBytesPerConnection{};
  // The worker this manager runs on: the owner part of the connection ids it hands out.
  size_t worker = 0;
  // Several workers: every worker binds its own TCP/TLS listeners with SO_REUSEPORT and the
  // kernel spreads new connections over them. Off, a second bind of the port fails loudly.
  bool shareStreamPorts = false;
  // Replace tcp.max_accepts_per_prefix_per_s, tls.max_handshakes_per_source_per_s and
  // tls.max_handshakes_per_prefix_per_s when set (0: no limit). All three are off when
  // tcp.max_accepts_per_source_per_s is 0.
  std::optional<size_t> maxAcceptsPerPrefixPerSecond{};
  std::optional<size_t> maxTlsHandshakesPerSourcePerSecond{};
  std::optional<size_t> maxTlsHandshakesPerPrefixPerSecond{};
};

class TransportManager {
 public:
  // The config is copied; `onPacket` and `onSendError` run on the io_context thread.
  TransportManager(asio::io_context& io, const config::Config& config, PacketHandler onPacket,
                   SendErrorHandler onSendError, TransportOptions options = {});
  ~TransportManager();

  // Binds every listener of every zone. Returns an error naming the listener on failure
  // (e.g. "trunk listener udp://127.0.0.1:5060: address already in use").
  std::string start();
  // Closes listeners and connections; pending sends are dropped. Idempotent.
  void stop();

  // Failures are counted in stats().sendErrors and reported to the SendErrorHandler, always
  // asynchronously (never from inside send()). Only counted: sends while stopped, and a UDP
  // datagram that had to wait for socket buffer space and then failed.
  void send(const SendTarget& target, std::string bytes);

  // The listener used to send into `zone` with `transport` (first configured one), or nullptr.
  // Addresses carry the bound port (port 0 in the config is resolved). Valid until next start().
  // A zone that sends over TLS without a tls:// listener gets its first tcp (else udp)
  // listener's address: replies come back on the connection we opened.
  const LocalEndpoint* localEndpoint(Zone zone, config::TransportKind transport) const;
  std::vector<LocalEndpoint> endpoints() const;
  // Builds new TLS contexts from `config` (listener certificate, providers' CA files and client
  // certificates) for handshakes from now on; open connections keep theirs, so calls survive
  // a certificate rotation. On error (named file and reason) the running contexts stay.
  std::string reloadTls(const config::Config& config);
  // Says that `address` belongs to the provider named `provider` (e.g. found through DNS), so
  // that TLS connections to it check that provider's certificate name and CA.
  void bindTlsPeer(const base::Address& address, const std::string& provider);

  // Asked for every accepted TCP or TLS connection before anything is read from it (for TLS,
  // before the handshake): false resets it. The gateway passes its ban list and zone ACL, so
  // a banned source cannot make trunkguard do TLS handshakes. Runs on the io thread.
  using ConnectionFilter = std::function<bool(Zone zone, const base::Address& source)>;
  void setConnectionFilter(ConnectionFilter filter);
  // Told of every offence of an inbound connection (a failed or stalled TLS handshake, a
  // framing error, an oversize message), so that the source's repeats end in a ban. Io thread.
  using OffenceHandler =
      std::function<void(Zone zone, const base::Address& source, StreamOffence offence)>;
  void setOffenceHandler(OffenceHandler handler);

  // SIP capture: every message read or written from now on is shown to `tap` (after framing
  // and TLS), on the io thread; nullptr turns it off. The tap must outlive the manager's use.
  void setCaptureTap(CaptureTap* tap);

  // The UDP sockets' zones and descriptors, to read their receive-queue depth (overload
  // detection).
  struct UdpSocket {
    Zone zone;
    int fd;
  };
  std::vector<UdpSocket> udpSockets() const;

  // The connections of every worker and the caps over them. Each manager starts with its own;
  // workers share one by passing the first worker's to the others before start().
  std::shared_ptr<ConnectionDirectory> directory() const;
  void shareDirectory(std::shared_ptr<ConnectionDirectory> directory);
  // The worker that sends to a tcp or tls `target`: the owner of the connection it names, else
  // the owner of a connection to its address (which is then named in `target`), else worker 0,
  // which opens new connections so that every worker reuses them.
  size_t streamSender(SendTarget& target) const;

  const TransportStats& stats() const;
  // Inbound TLS handshakes that resumed a session (a ticket) instead of a full handshake.
  uint64_t tlsResumed() const;
  // The peer on connection `id` proved who it is (a 2xx to its REGISTER or INVITE): that
  // connection is never evicted to make room for others. Any thread; the owner need not be
  // this worker.
  void confirmConnection(ConnectionId id);
  size_t openConnections() const;  // the ones this worker owns

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tg::transport
