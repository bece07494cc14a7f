#include "transport/tcp_connection.h"

#include <asio/error.hpp>
#include <asio/write.hpp>

#include "base/log.h"
#include "transport/socket_util.h"

namespace tg::transport {
namespace {

constexpr std::string_view kPong = "\r\n";

}  // namespace

TcpConnection::TcpConnection(TransportContext& ctx, Owner& owner, asio::ip::tcp::socket socket,
                             ConnectionId id, Zone zone, Direction direction,
                             const base::Address& remote, const base::Address& local)
    : ctx_(ctx),
      owner_(owner),
      socket_(std::move(socket)),
      id_(id),
      zone_(zone),
      direction_(direction),
      remote_(remote),
      local_(local),
      lastActivity_(ctx.clock.now()),
      framer_(ctx.framerLimits) {}

void TcpConnection::startInbound() {
  state_ = State::kOpen;
  startRead();
}

void TcpConnection::startConnect(std::chrono::milliseconds timeout) {
  state_ = State::kConnecting;
  connectTimer_.emplace(ctx_.io);
  connectTimer_->expires_after(timeout);
  connectTimer_->async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->state_ != State::kConnecting) return;
    self->close("connect to " + transportUri(config::TransportKind::kTcp, self->remote_) +
                " timed out");
  });
  socket_.async_connect(
      toEndpoint<asio::ip::tcp::endpoint>(remote_),
      [self = shared_from_this()](const asio::error_code& ec) { self->onConnected(ec); });
}

void TcpConnection::onConnected(const asio::error_code& ec) {
  if (state_ != State::kConnecting) return;  // closed meanwhile (timeout, stop)
  connectTimer_->cancel();
  if (ec) {
    close("connect to " + transportUri(config::TransportKind::kTcp, remote_) +
          " failed: " + ec.message());
    return;
  }
  asio::error_code optionEc;
  socket_.set_option(asio::ip::tcp::no_delay(true), optionEc);
  socket_.non_blocking(true, optionEc);
  if (!local_.valid()) {
    const auto bound = socket_.local_endpoint(optionEc);
    if (!optionEc) local_ = fromEndpoint(bound);
  }
  state_ = State::kOpen;
  lastActivity_ = ctx_.clock.now();
  TG_LOG(kTransport, debug, "tcp connection {} to {} open", id_, remote_.toString());
  startRead();
  if (!queue_.empty()) startWrite();
}

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
        close("framing error: " + std::string(frame.reason));
        return false;
      case sip::FrameStatus::kMessage:
        // The framer bounds header and body separately; the sum is bounded here. The stream
        // stays in step, so only this message is lost.
        if (frame.message.size() > ctx_.maxMessageBytes) {
          ++ctx_.stats.oversizeDropped;
          break;
        }
        ++ctx_.stats.streamMessagesReceived;
        ctx_.onPacket(Packet{
            .bytes = std::move(frame.message),
            .source = remote_,
            .local = local_,
            .transport = config::TransportKind::kTcp,
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
  enqueue(Outbound{std::move(bytes), target, true});
}

void TcpConnection::enqueue(Outbound item) {
  if (state_ == State::kClosed) return;
  // Fast path: nothing queued, so the kernel can take it now with one send().
  if (state_ == State::kOpen && queue_.empty()) {
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
  if (state_ == State::kOpen && !writing_) startWrite();
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
  TG_LOG(kTransport, debug, "tcp connection {} with {} closed: {}", id_, remote_.toString(),
         reason);
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
  socket_.close(ec);
}

}  // namespace tg::transport
