#pragma once

// One UDP socket of one zone: SO_REUSEPORT so every worker can bind the same port (datagrams
// steered to a worker by source address, see reuseport_steering.h), a receive loop that
// drains the socket with recvmmsg batches into reused buffers, and sendto with a small
// queue for the rare moment the socket buffer is full.

#include <sys/socket.h>

#include <array>
#include <asio/ip/udp.hpp>
#include <deque>
#include <memory>
#include <string>

#include "base/address.h"
#include "transport/transport_context.h"

namespace tg::transport {

class UdpListener : public std::enable_shared_from_this<UdpListener> {
 public:
  UdpListener(TransportContext& ctx, Zone zone);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Opens and binds the socket; returns the OS error text on failure.
  std::string open(const base::Address& address);
  // Starts the receive loop.
  void start();
  void close();

  // Sends one datagram, or queues it while the socket buffer is full. Returns 0, or the errno
  // of a failure that the caller may report (ENOBUFS when the queue is full too).
  int send(const base::Address& to, std::string bytes);

  Zone zone() const { return zone_; }
  // The bound address (with the port the kernel chose for port 0).
  const base::Address& local() const { return local_; }
  // The socket's descriptor (receive-queue depth for overload detection); -1 when closed.
  int nativeHandle() { return socket_.is_open() ? socket_.native_handle() : -1; }

 private:
  static constexpr int kBatch = 32;
  static constexpr int kMaxBatchesPerWakeup = 8;  // then let other sockets and timers run
  static constexpr size_t kMaxQueuedBytes = 1 << 20;

  struct Queued {
    base::Address to;
    std::string bytes;
  };

  void armRead();
  void drain();
  void deliver(const mmsghdr& msg, const char* data, base::TimePoint now);
  void armWrite();
  void flushQueue();

  TransportContext& ctx_;
  Zone zone_;
  asio::ip::udp::socket socket_;
  base::Address local_;
  bool closed_ = false;

  // Receive state, allocated once: kBatch slots of maxMessageBytes + 1, so that a datagram of
  // exactly the limit fits and one byte more reveals an oversize one.
  size_t slotSize_ = 0;
  std::unique_ptr<char[]> buffers_;
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<iovec, kBatch> iovs_{};
  std::array<sockaddr_storage, kBatch> sources_{};
  // Ancillary data: IP_RECVFRAGSIZE / IPV6_RECVFRAGSIZE, present only on a datagram the kernel
  // reassembled from fragments (counted in datagramsReassembled).
  static constexpr size_t kControlBytes = 64;
  std::array<std::array<char, kControlBytes>, kBatch> controls_{};

  std::deque<Queued> queue_;
  size_t queuedBytes_ = 0;
  bool waitingWritable_ = false;
};

}  // namespace tg::transport
