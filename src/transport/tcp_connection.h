#pragma once

// One SIP-over-TCP or SIP-over-TLS connection, accepted or opened by us: reads through a
// StreamFramer (RFC 3261 §18.3), answers CRLFCRLF pings (RFC 5626), writes from a bounded queue.
// A TLS connection handshakes first, within the configured timeout, and keeps the SSL context
// it was born with (a reload only affects new connections). The ConnectionTable owns it via
// shared_ptr; queued asio handlers keep it alive until they run and then see it closed.

#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/address.h"
#include "base/clock.h"
#include "sip/stream_framer.h"
#include "transport/stream_offence.h"
#include "transport/tls_context.h"
#include "transport/transport_context.h"

namespace tg::transport {

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  // Bytes waiting to be written; messages remember their target for the error report.
  struct Outbound {
    std::string bytes;
    SendTarget target;
    bool isMessage = true;  // false for a keep-alive pong
  };

  class Owner {
   public:
    virtual ~Owner() = default;
    // Called once, when the connection closes for any reason but abandon(). `unsent` holds
    // what was queued and not completely written.
    virtual void onConnectionClosed(TcpConnection& connection, std::string_view reason,
                                    std::deque<Outbound>& unsent) = 0;
    // An inbound connection misbehaved (it may be closing because of it).
    virtual void onOffence(TcpConnection& /*connection*/, StreamOffence /*offence*/) {}
  };

  enum class Direction : uint8_t { kInbound, kOutbound };

  // `local` is what Packets report as their local address (the zone's listener). With `tls`
  // the connection speaks TLS: as the server when inbound, as a client checking `peer` when
  // outbound.
  TcpConnection(TransportContext& ctx, Owner& owner, asio::ip::tcp::socket socket, ConnectionId id,
                Zone zone, Direction direction, const base::Address& remote,
                const base::Address& local, TlsContextPtr tls = nullptr, TlsPeer peer = {});
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // An accepted connection: starts reading (TLS: handshakes first).
  void startInbound();
  // An outbound connection: connects (TLS: and handshakes), then writes what was queued.
  void startConnect(std::chrono::milliseconds timeout);

  // Writes at once when the socket takes it, otherwise queues. Closes the connection (and
  // reports everything unsent, this message included) when the queue would exceed its bound.
  void send(std::string bytes, const SendTarget& target);

  // Closes and tells the owner.
  void close(std::string_view reason);
  // Closes without telling anyone: the manager is stopping.
  void abandon();

  ConnectionId id() const { return id_; }
  Zone zone() const { return zone_; }
  Direction direction() const { return direction_; }
  const base::Address& remote() const { return remote_; }
  config::TransportKind transport() const {
    return tlsContext_ ? config::TransportKind::kTls : config::TransportKind::kTcp;
  }
  bool isOpen() const { return state_ == State::kOpen; }
  bool isClosed() const { return state_ == State::kClosed; }
  base::TimePoint lastActivity() const { return lastActivity_; }
  // When it became open (TLS: the handshake finished); the first-message deadline starts here.
  base::TimePoint openedAt() const { return openedAt_; }
  bool hasDeliveredMessage() const { return deliveredMessage_; }
  // When the first bytes of the still incomplete message arrived; nullopt when none is pending.
  std::optional<base::TimePoint> partialMessageSince() const { return partialSince_; }
  // Frees the receive buffer's capacity when nothing is pending.
  void releaseIdleBuffers() { framer_.releaseIdleMemory(); }

 private:
  enum class State : uint8_t { kConnecting, kHandshaking, kOpen, kClosed };
  struct SslFree {
    void operator()(SSL* ssl) const;
  };

  void onConnected(const asio::error_code& ec);
  void becomeOpen();
  // TLS runs OpenSSL directly on the non-blocking socket: a message is one SSL_write (one
  // send) when the socket takes it, as on plain TCP, and reads wait for readability only.
  void startHandshake();
  void driveHandshake();
  void onHandshakeFailed(int sslError);
  void armRead();
  void armWrite();
  void onSocketEvent(const asio::error_code& ec, bool readable);
  void readTls();
  void flushTls();
  void startRead();
  void onRead(const asio::error_code& ec, size_t length);
  // Runs the framer over what was read; false once the connection is closed.
  bool processFrames();
  void enqueue(Outbound item);
  void startWrite();
  void onWritten(const asio::error_code& ec);
  void shutdownSocket();
  // Tells the owner of an inbound connection's offence; outbound peers are ours to judge.
  void offend(StreamOffence offence);

  TransportContext& ctx_;
  Owner& owner_;
  asio::ip::tcp::socket socket_;
  TlsContextPtr tlsContext_;  // set for TLS; this connection keeps it across reloads
  std::unique_ptr<SSL, SslFree> ssl_;
  TlsPeer peer_;
  bool readArmed_ = false;       // an async_wait for readability is pending
  bool writeArmed_ = false;      // an async_wait for writability is pending
  bool readWantsWrite_ = false;  // SSL_read asked for a writable socket
  bool writeWantsRead_ = false;  // SSL_write asked for a readable socket
  ConnectionId id_;
  Zone zone_;
  Direction direction_;
  State state_ = State::kOpen;
  base::Address remote_;
  base::Address local_;
  base::TimePoint lastActivity_;
  base::TimePoint openedAt_;
  std::optional<base::TimePoint> partialSince_;
  bool deliveredMessage_ = false;
  sip::StreamFramer framer_;
  std::optional<asio::steady_timer> connectTimer_;  // connect and TLS handshake deadline
  std::deque<Outbound> queue_;
  size_t queuedBytes_ = 0;
  bool writing_ = false;
  // The framer keeps partial messages; this only needs to hold one read.
  std::array<char, 8192> readBuffer_;
};

}  // namespace tg::transport
