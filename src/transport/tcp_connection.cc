#include "transport/tcp_connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <asio/error.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "base/openssl_error.h"
#include "transport/socket_util.h"

namespace tg::transport {
namespace {

constexpr std::string_view kPong = "\r\n";

}  // namespace

TcpConnection::TcpConnection(TransportContext& ctx, Owner& owner, asio::ip::tcp::socket socket,
                             ConnectionId id, Zone zone, Direction direction,
                             const base::Address& remote, const base::Address& local,
                             TlsContextPtr tls, TlsPeer peer)
    : ctx_(ctx),
      owner_(owner),
      socket_(std::move(socket)),
      tlsContext_(std::move(tls)),
      peer_(std::move(peer)),
      id_(id),
      zone_(zone),
      direction_(direction),
      remote_(remote),
      local_(local),
      lastActivity_(ctx.clock.now()),
      framer_(ctx.framerLimits) {
  if (tlsContext_) ssl_.reset(SSL_new(tlsContext_->native_handle()));
}

void TcpConnection::SslFree::operator()(SSL* ssl) const { SSL_free(ssl); }

void TcpConnection::startInbound() {
  if (tlsContext_) {
    startHandshake();
    return;
  }
  state_ = State::kOpen;
  openedAt_ = ctx_.clock.now();
  startRead();
}

void TcpConnection::startConnect(std::chrono::milliseconds timeout) {
  state_ = State::kConnecting;
  connectTimer_.emplace(ctx_.io);
  connectTimer_->expires_after(timeout);
  connectTimer_->async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->state_ != State::kConnecting) return;
    self->close("connect to " + transportUri(self->transport(), self->remote_) + " timed out");
  });
  socket_.async_connect(
      toEndpoint<asio::ip::tcp::endpoint>(remote_),
      [self = shared_from_this()](const asio::error_code& ec) { self->onConnected(ec); });
}

void TcpConnection::onConnected(const asio::error_code& ec) {
  if (state_ != State::kConnecting) return;  // closed meanwhile (timeout, stop)
  connectTimer_->cancel();
  if (ec) {
    close("connect to " + transportUri(transport(), remote_) + " failed: " + ec.message());
    return;
  }
  asio::error_code optionEc;
  socket_.set_option(asio::ip::tcp::no_delay(true), optionEc);
  socket_.non_blocking(true, optionEc);
  if (!local_.valid()) {
    const auto bound = socket_.local_endpoint(optionEc);
    if (!optionEc) local_ = fromEndpoint(bound);
  }
  if (tlsContext_) {
    startHandshake();
    return;
  }
  becomeOpen();
}

void TcpConnection::becomeOpen() {
  state_ = State::kOpen;
  lastActivity_ = ctx_.clock.now();
  openedAt_ = lastActivity_;
  TG_LOG(kTransport, debug, "{} connection {} {} {} open", config::transportName(transport()), id_,
         direction_ == Direction::kInbound ? "from" : "to", remote_.toString());
  if (ssl_) {
    // The peer's first records may already sit in OpenSSL's buffer with the handshake's.
    readTls();
    if (state_ == State::kOpen && !queue_.empty()) flushTls();
    return;
  }
  startRead();
  if (!queue_.empty()) startWrite();
}

// --- TLS ------------------------------------------------------------------------------------

void TcpConnection::startHandshake() {
  state_ = State::kHandshaking;
  const bool client = direction_ == Direction::kOutbound;
  BIO* bio = ssl_ ? newSocketBio(socket_.native_handle()) : nullptr;
  if (bio == nullptr) {
    close("tls setup failed: " + base::lastOpensslError());
    return;
  }
  SSL_set_bio(ssl_.get(), bio, bio);
  if (client) {
    if (!prepareClientSsl(ssl_.get(), peer_)) {
      close("tls setup for " + peer_.serverName + " failed: " + base::lastOpensslError());
      return;
    }
    SSL_set_connect_state(ssl_.get());
  } else {
    SSL_set_accept_state(ssl_.get());
  }
  // The deadline bounds what a silent or trickling peer costs; the handshake itself only runs
  // when the socket is ready, so a stalled one never holds up another connection.
  if (!connectTimer_) connectTimer_.emplace(ctx_.io);
  connectTimer_->expires_after(ctx_.tlsHandshakeTimeout);
  connectTimer_->async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->state_ != State::kHandshaking) return;
    ++self->ctx_.stats.tlsHandshakeTimeouts;
    self->offend(StreamOffence::kTlsHandshakeTimeout);
    self->close("tls handshake timed out");
  });
  driveHandshake();
}

void TcpConnection::driveHandshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result != 1) {
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ) {
      armRead();
    } else if (error == SSL_ERROR_WANT_WRITE) {
      armWrite();
    } else {
      onHandshakeFailed(error);
    }
    return;
  }
  connectTimer_->cancel();
  ++ctx_.stats.tlsHandshakes;
  SSL* ssl = ssl_.get();
  if (direction_ == Direction::kOutbound) {
    // Few and long-lived: worth an info line saying how the peer's signalling is protected.
    TG_LOG(kTransport, info, "{} tls connection {} to {} established ({}, {}, {})",
           peer_.label.empty() ? "peer" : peer_.label, id_, remote_.toString(),
           SSL_get_version(ssl), SSL_get_cipher_name(ssl),
           peer_.verify ? "certificate verified for " + peer_.serverName
                        : std::string("certificate NOT verified"));
  } else {
    const bool resumed = SSL_session_reused(ssl) == 1;
    if (resumed) ++ctx_.tlsResumed;
    TG_LOG(kTransport, debug, "tls connection {} from {} established ({}, {}{})", id_,
           remote_.toString(), SSL_get_version(ssl), SSL_get_cipher_name(ssl),
           resumed ? ", resumed" : "");
  }
  becomeOpen();
}

void TcpConnection::onHandshakeFailed(int sslError) {
  ++ctx_.stats.tlsHandshakeFailures;
  std::string fallback = "tls handshake failed: ";
  if (sslError == SSL_ERROR_SSL) {
    fallback += base::lastOpensslError();
  } else if (sslError == SSL_ERROR_SYSCALL && errno != 0) {
    fallback += std::strerror(errno);
  } else {
    fallback += "connection closed by peer";
  }
  bool verifyFailed = false;
  const std::string reason = handshakeFailureReason(ssl_.get(), fallback, &verifyFailed);
  if (verifyFailed) ++ctx_.stats.tlsVerifyFailures;
  offend(StreamOffence::kTlsHandshakeFailed);
  if (direction_ == Direction::kOutbound) {
    // The operator must see why a provider is unreachable; never retried in plaintext.
    TG_LOG(kTransport, warn, "{} {}: {}", peer_.label.empty() ? "peer" : peer_.label,
           transportUri(config::TransportKind::kTls, remote_), reason);
  }
  close(reason);
}

void TcpConnection::armRead() {
  if (readArmed_) return;
  readArmed_ = true;
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       self->readArmed_ = false;
                       self->onSocketEvent(ec, true);
                     });
}

void TcpConnection::armWrite() {
  if (writeArmed_) return;
  writeArmed_ = true;
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       self->writeArmed_ = false;
                       self->onSocketEvent(ec, false);
                     });
}

void TcpConnection::onSocketEvent(const asio::error_code& ec, bool readable) {
  if (state_ == State::kClosed) return;
  if (ec) {
    close("socket wait failed: " + ec.message());
    return;
  }
  if (state_ == State::kHandshaking) {
    driveHandshake();
    return;
  }
  // Either direction may unblock the other (TLS 1.3 key updates, post-handshake messages).
  if (readable && writeWantsRead_) {
    writeWantsRead_ = false;
    flushTls();
  } else if (!readable && readWantsWrite_) {
    readWantsWrite_ = false;
    readTls();
  }
  if (state_ != State::kOpen) return;
  if (readable) {
    readTls();
  } else {
    flushTls();
  }
}

void TcpConnection::readTls() {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(ssl_.get(), readBuffer_.data(), static_cast<int>(readBuffer_.size()));
    if (n > 0) {
      lastActivity_ = ctx_.clock.now();
      framer_.append(std::string_view(readBuffer_.data(), static_cast<size_t>(n)));
      if (!processFrames()) return;
      continue;
    }
    // WANT_READ only once OpenSSL's buffer and the socket are both drained: safe to wait.
    switch (SSL_get_error(ssl_.get(), n)) {
      case SSL_ERROR_WANT_READ:
        armRead();
        return;
      case SSL_ERROR_WANT_WRITE:
        readWantsWrite_ = true;
        armWrite();
        return;
      case SSL_ERROR_ZERO_RETURN:
        close("closed by peer");
        return;
      case SSL_ERROR_SYSCALL:
        close(errno != 0 ? "read failed: " + std::string(std::strerror(errno))
                         : std::string("closed by peer"));
        return;
      default:
        close("tls read failed: " + base::lastOpensslError());
        return;
    }
  }
}

void TcpConnection::flushTls() {
  while (!queue_.empty()) {
    Outbound& item = queue_.front();
    ERR_clear_error();
    errno = 0;
    const int n = SSL_write(ssl_.get(), item.bytes.data(), static_cast<int>(item.bytes.size()));
    if (n > 0) {
      lastActivity_ = ctx_.clock.now();
      const auto written = static_cast<size_t>(n);
      queuedBytes_ -= written;
      if (written < item.bytes.size()) {
        item.bytes.erase(0, written);  // partial write mode: whole records went
        continue;
      }
      if (item.isMessage) ++ctx_.stats.streamMessagesSent;
      queue_.pop_front();
      continue;
    }
    // A retry must pass the same bytes again: they stay at the front of the queue.
    switch (SSL_get_error(ssl_.get(), n)) {
      case SSL_ERROR_WANT_WRITE:
        armWrite();
        return;
      case SSL_ERROR_WANT_READ:
        writeWantsRead_ = true;
        armRead();
        return;
      default:
        close("write failed: " +
              (errno != 0 ? std::string(std::strerror(errno)) : base::lastOpensslError()));
        return;
    }
  }
}

// --- plain TCP and shared -------------------------------------------------------------------

void TcpConnection::startRead() {
  socket_.async_read_some(asio::buffer(readBuffer_),
                          [self = shared_from_this()](const asio::error_code& ec, size_t length) {
                            self->onRead(ec, length);
                          });
}

void TcpConnection::onRead(const asio::error_code& ec, size_t length) {
  if (state_ == State::kClosed) return;
  if (ec) {
    close(ec == asio::error::eof ? std::string("closed by peer") : "read failed: " + ec.message());
    return;
  }
  lastActivity_ = ctx_.clock.now();
  framer_.append(std::string_view(readBuffer_.data(), length));
  if (processFrames()) startRead();
}

bool TcpConnection::processFrames() {
  for (;;) {
    sip::Frame frame = framer_.next();
    switch (frame.status) {
      case sip::FrameStatus::kNeedMore:
        if (framer_.buffered() == 0) {
          partialSince_.reset();
        } else if (!partialSince_) {
          partialSince_ = lastActivity_;
        }
        return true;
      case sip::FrameStatus::kPong:
        break;
      case sip::FrameStatus::kPing:
        ++ctx_.stats.keepAlivePongs;
        enqueue(Outbound{std::string(kPong), SendTarget{}, false});
        if (state_ == State::kClosed) return false;
        break;
      case sip::FrameStatus::kError:
        ++ctx_.stats.framingErrors;
        offend(StreamOffence::kFramingError);
        close("framing error: " + std::string(frame.reason));
        return false;
      case sip::FrameStatus::kMessage:
        // The framer bounds header and body separately; the sum is bounded here. The stream
        // stays in step, so only this message is lost.
        if (frame.message.size() > ctx_.maxMessageBytes) {
          ++ctx_.stats.oversizeDropped;
          offend(StreamOffence::kOversizeMessage);
          if (state_ == State::kClosed) return false;
          break;
        }
        ++ctx_.stats.streamMessagesReceived;
        deliveredMessage_ = true;
        partialSince_.reset();
        tapMessage(ctx_.capture, transport(), remote_, local_, ctx_.clock, frame.message);
        ctx_.onPacket(Packet{
            .bytes = std::move(frame.message),
            .source = remote_,
            .local = local_,
            .transport = transport(),
            .zone = zone_,
            .connection = id_,
            .received = lastActivity_,
        });
        if (state_ == State::kClosed) return false;  // the handler closed it or stopped all
        break;
    }
  }
}

void TcpConnection::send(std::string bytes, const SendTarget& target) {
  // Captured when queued, before TLS encrypts it; the local address is the zone listener's
  // (the one Packets report), not an outbound connection's ephemeral port.
  tapMessage(ctx_.capture, transport(), local_, remote_, ctx_.clock, bytes);
  enqueue(Outbound{std::move(bytes), target, true});
}

void TcpConnection::enqueue(Outbound item) {
  if (state_ == State::kClosed) return;
  // Fast path: nothing queued, so the kernel can take it now with one send(). TLS goes
  // through the queue, whose flush is usually one SSL_write and one send() as well.
  if (!ssl_ && state_ == State::kOpen && queue_.empty()) {
    asio::error_code ec;
    const size_t written = socket_.send(asio::buffer(item.bytes), 0, ec);
    if (!ec && written == item.bytes.size()) {
      if (item.isMessage) ++ctx_.stats.streamMessagesSent;
      lastActivity_ = ctx_.clock.now();
      return;
    }
    if (ec && ec != asio::error::would_block) {
      queue_.push_back(std::move(item));
      close("write failed: " + ec.message());
      return;
    }
    if (!ec) item.bytes.erase(0, written);  // partial: the rest goes through the queue
  }
  if (queuedBytes_ + item.bytes.size() > ctx_.maxQueuedBytesPerConnection) {
    queue_.push_back(std::move(item));
    close("write queue full (peer not reading)");
    return;
  }
  queuedBytes_ += item.bytes.size();
  queue_.push_back(std::move(item));
  if (state_ != State::kOpen) return;  // connect and handshake flush the queue when done
  if (ssl_) {
    if (!writeArmed_ && !writeWantsRead_) flushTls();
  } else if (!writing_) {
    startWrite();
  }
}

void TcpConnection::startWrite() {
  writing_ = true;
  asio::async_write(
      socket_, asio::buffer(queue_.front().bytes),
      [self = shared_from_this()](const asio::error_code& ec, size_t) { self->onWritten(ec); });
}

void TcpConnection::onWritten(const asio::error_code& ec) {
  if (state_ == State::kClosed) return;
  writing_ = false;
  if (ec) {
    close("write failed: " + ec.message());
    return;
  }
  lastActivity_ = ctx_.clock.now();
  if (queue_.front().isMessage) ++ctx_.stats.streamMessagesSent;
  queuedBytes_ -= queue_.front().bytes.size();
  queue_.pop_front();
  if (!queue_.empty()) startWrite();
}

void TcpConnection::close(std::string_view reason) {
  if (state_ == State::kClosed) return;
  const auto self = shared_from_this();  // the owner drops its reference below
  shutdownSocket();
  std::deque<Outbound> unsent;
  unsent.swap(queue_);
  queuedBytes_ = 0;
  TG_LOG(kTransport, debug, "{} connection {} with {} closed: {}",
         config::transportName(transport()), id_, remote_.toString(), reason);
  owner_.onConnectionClosed(*this, reason, unsent);
}

void TcpConnection::abandon() {
  if (state_ == State::kClosed) return;
  shutdownSocket();
  queue_.clear();
  queuedBytes_ = 0;
}

void TcpConnection::shutdownSocket() {
  state_ = State::kClosed;
  asio::error_code ec;
  if (connectTimer_) connectTimer_->cancel();
  // No TLS close_notify: SIP has its own end of dialog, and waiting for the peer's reply
  // would let a silent peer hold the connection open.
  socket_.close(ec);
}

void TcpConnection::offend(StreamOffence offence) {
  if (direction_ == Direction::kInbound && state_ != State::kClosed) {
    owner_.onOffence(*this, offence);
  }
}

}  // namespace tg::transport
