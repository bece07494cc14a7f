#include "transport/udp_listener.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <asio/ip/v6_only.hpp>
#include <cerrno>

#include "base/log.h"
#include "transport/reuseport_steering.h"
#include "transport/socket_util.h"

namespace tg::transport {
namespace {

constexpr int kReceiveBufferBytes = 4 << 20;  // absorbs bursts while the worker is busy
constexpr int kSendBufferBytes = 4 << 20;

// Tries the privileged option (ignores net.core.*mem_max), then the ordinary one; a smaller
// buffer than asked for is not an error.
void setBufferSize(int fd, int forceOption, int option, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, forceOption, &bytes, sizeof(bytes)) == 0) return;
  setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes));
}

// RFC 5626 §3.5.1 keep-alives (and empty datagrams) carry nothing for the upper layers.
bool isKeepAlive(const char* data, size_t length) {
  if (length == 0) return true;
  if (length != 2 && length != 4) return false;
  for (size_t i = 0; i < length; i += 2) {
    if (data[i] != '\r' || data[i + 1] != '\n') return false;
  }
  return true;
}

bool wouldBlock(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// The kernel attaches the largest fragment's size only to a datagram it reassembled.
bool cameAsFragments(const msghdr& hdr) {
  if (hdr.msg_controllen == 0) return false;
  for (const cmsghdr* c = CMSG_FIRSTHDR(&hdr); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&hdr), const_cast<cmsghdr*>(c))) {
    if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVFRAGSIZE) ||
        (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVFRAGSIZE)) {
      return true;
    }
  }
  return false;
}

}  // namespace

UdpListener::UdpListener(TransportContext& ctx, Zone zone)
    : ctx_(ctx), zone_(zone), socket_(ctx.io) {}

std::string UdpListener::open(const base::Address& address) {
  asio::error_code ec;
  const auto endpoint = toEndpoint<asio::ip::udp::endpoint>(address);
  socket_.open(endpoint.protocol(), ec);
  if (ec) return ec.message();
  const int fd = socket_.native_handle();
  socket_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return ec.message();
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) {
    return asio::error_code(errno, asio::system_category()).message();
  }
  if (address.isV6()) {
    // Keeps [::] from also taking the IPv4 port, which a separate listener may want.
    socket_.set_option(asio::ip::v6_only(true), ec);
    if (ec) return ec.message();
  }
  // Tells which datagrams came as IP fragments (Linux 4.10+; older kernels: none counted).
  if (address.isV6()) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVFRAGSIZE, &on, sizeof(on));
  } else {
    setsockopt(fd, IPPROTO_IP, IP_RECVFRAGSIZE, &on, sizeof(on));
  }
  setBufferSize(fd, SO_RCVBUFFORCE, SO_RCVBUF, kReceiveBufferBytes);
  setBufferSize(fd, SO_SNDBUFFORCE, SO_SNDBUF, kSendBufferBytes);
  socket_.bind(endpoint, ec);
  if (ec) return ec.message();
  // Every datagram of one source address to one worker, whatever its port: per-source limits
  // and scanner thresholds are per worker.
  if (std::string error = steerBySourceAddress(fd, address.isV6(), ctx_.udpGroupSize);
      !error.empty()) {
    TG_LOG(kTransport, warn,
           "udp {}: cannot steer datagrams by source address ({}); with {} workers a source "
           "that changes ports may get up to {} times its per-source limits",
           address.toString(), error, ctx_.udpGroupSize, ctx_.udpGroupSize);
  }
  socket_.non_blocking(true, ec);
  if (ec) return ec.message();
  const auto bound = socket_.local_endpoint(ec);
  if (ec) return ec.message();
  local_ = fromEndpoint(bound);

  slotSize_ = ctx_.maxMessageBytes + 1;
  buffers_ = std::make_unique_for_overwrite<char[]>(slotSize_ * kBatch);
  for (int i = 0; i < kBatch; ++i) {
    iovs_[i].iov_base = buffers_.get() + slotSize_ * i;
    iovs_[i].iov_len = slotSize_;
    msghdr& hdr = msgs_[i].msg_hdr;
    hdr.msg_name = &sources_[i];
    hdr.msg_iov = &iovs_[i];
    hdr.msg_iovlen = 1;
    hdr.msg_control = controls_[i].data();
  }
  return {};
}

void UdpListener::start() { armRead(); }

void UdpListener::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.close(ec);
  queue_.clear();
  queuedBytes_ = 0;
}

void UdpListener::armRead() {
  socket_.async_wait(
      asio::socket_base::wait_read, [self = shared_from_this()](const asio::error_code& ec) {
        if (self->closed_) return;
        if (ec) {
          TG_LOG(kTransport, warn, "udp {} wait failed: {}", self->local_.toString(), ec.message());
          return;
        }
        self->drain();
        if (!self->closed_) self->armRead();
      });
}

void UdpListener::drain() {
  const int fd = socket_.native_handle();
  for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
    for (auto& msg : msgs_) {
      msg.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msg.msg_hdr.msg_flags = 0;
      msg.msg_hdr.msg_controllen = kControlBytes;
    }
    const int count = ::recvmmsg(fd, msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (count < 0) {
      if (!wouldBlock(errno) && errno != EINTR) {
        TG_LOG(kTransport, debug, "udp {} recvmmsg: {}", local_.toString(),
               asio::error_code(errno, asio::system_category()).message());
      }
      return;
    }
    const base::TimePoint now = ctx_.clock.now();  // one reading per batch is precise enough
    for (int i = 0; i < count; ++i) {
      deliver(msgs_[i], buffers_.get() + slotSize_ * i, now);
      if (closed_) return;  // the handler stopped the manager
    }
    // A short batch means the queue is (nearly) empty: waiting again costs less than a
    // recvmmsg that returns EAGAIN, and the re-armed wait fires at once if more arrived.
    if (count < kBatch) return;
  }
}

void UdpListener::deliver(const mmsghdr& msg, const char* data, base::TimePoint now) {
  const size_t length = msg.msg_len;
  if (cameAsFragments(msg.msg_hdr)) ++ctx_.stats.datagramsReassembled;
  if (length > ctx_.maxMessageBytes || (msg.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
    ++ctx_.stats.oversizeDropped;
    return;
  }
  if (isKeepAlive(data, length)) {
    ++ctx_.stats.keepAlivesIgnored;
    return;
  }
  ++ctx_.stats.datagramsReceived;
  const base::Address source = base::Address::fromSockaddr(
      static_cast<const sockaddr*>(msg.msg_hdr.msg_name), msg.msg_hdr.msg_namelen);
  tapMessage(ctx_.capture, config::TransportKind::kUdp, source, local_, ctx_.clock,
             std::string_view(data, length));
  ctx_.onPacket(Packet{
      .bytes = std::string(data, length),
      .source = source,
      .local = local_,
      .transport = config::TransportKind::kUdp,
      .zone = zone_,
      .connection = 0,
      .received = now,
  });
}

int UdpListener::send(const base::Address& to, std::string bytes) {
  if (closed_) return EBADF;
  tapMessage(ctx_.capture, config::TransportKind::kUdp, local_, to, ctx_.clock, bytes);
  if (queue_.empty()) {
    const ssize_t sent = ::sendto(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT,
                                  to.sockaddrPtr(), to.sockaddrLen());
    if (sent >= 0) {
      ++ctx_.stats.datagramsSent;
      return 0;
    }
    if (!wouldBlock(errno)) {
      ++ctx_.stats.sendErrors;
      return errno;
    }
  }
  // The socket buffer is full (or earlier datagrams still wait): keep the order, bounded.
  if (queuedBytes_ + bytes.size() > kMaxQueuedBytes) {
    ++ctx_.stats.sendErrors;
    return ENOBUFS;
  }
  queuedBytes_ += bytes.size();
  queue_.push_back(Queued{to, std::move(bytes)});
  armWrite();
  return 0;
}

void UdpListener::armWrite() {
  if (waitingWritable_) return;
  waitingWritable_ = true;
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       if (self->closed_) return;
                       self->waitingWritable_ = false;
                       if (ec) {
                         self->ctx_.stats.sendErrors += self->queue_.size();
                         self->queue_.clear();
                         self->queuedBytes_ = 0;
                         return;
                       }
                       self->flushQueue();
                     });
}

void UdpListener::flushQueue() {
  const int fd = socket_.native_handle();
  while (!queue_.empty()) {
    const Queued& next = queue_.front();
    const ssize_t sent = ::sendto(fd, next.bytes.data(), next.bytes.size(), MSG_DONTWAIT,
                                  next.to.sockaddrPtr(), next.to.sockaddrLen());
    if (sent < 0 && wouldBlock(errno)) {
      armWrite();
      return;
    }
    if (sent < 0) {
      ++ctx_.stats.sendErrors;
    } else {
      ++ctx_.stats.datagramsSent;
    }
    queuedBytes_ -= next.bytes.size();
    queue_.pop_front();
  }
}

}  // namespace tg::transport
