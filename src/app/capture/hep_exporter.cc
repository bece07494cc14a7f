#include "app/capture/hep_exporter.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "app/capture/hep_encoder.h"
#include "base/log.h"

namespace tg::app::capture {
namespace {

// The sender looks at the rings this often when they were empty: a few hundred wake-ups a
// second on an idle gateway, and no system call on the workers' side to wake it.
constexpr auto kIdleWait = std::chrono::milliseconds(2);
constexpr int64_t kReconnectMs = 1000;
// Packets per system call: sendmmsg() over UDP, one send() over TCP.
constexpr size_t kBatch = 64;

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// One worker's messages on their way to the sender: a single-producer single-consumer ring of
// slots whose strings keep their capacity, so that a worker copies a message without
// allocating once the ring has warmed up.
class WorkerRing final : public transport::CaptureTap {
 public:
  struct Slot {
    config::TransportKind transport = config::TransportKind::kUdp;
    base::Address source;
    base::Address destination;
    base::SystemTime when{};
    std::string bytes;
  };

  explicit WorkerRing(size_t capacity)
      : slots_(std::bit_ceil(capacity)), mask_(slots_.size() - 1) {}

  void capture(const transport::CapturedMessage& m) noexcept override {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) >= slots_.size() ||
        m.bytes.size() > kHepMaxPacket) {
      ++stats_.dropped;
      return;
    }
    Slot& s = slots_[head & mask_];
    s.transport = m.transport;
    s.source = m.source;
    s.destination = m.destination;
    s.when = m.when;
    try {
      s.bytes.assign(m.bytes);
    } catch (...) {  // out of memory: capture is never worth failing the message path
      ++stats_.dropped;
      return;
    }
    head_.store(head + 1, std::memory_order_release);
  }

  // The sender: the oldest message, or nullptr when none is waiting; pop() after using it.
  const Slot* front() const {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return nullptr;
    return &slots_[tail & mask_];
  }
  void pop() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  const CaptureStats& stats() const { return stats_; }

 private:
  std::vector<Slot> slots_;
  const uint64_t mask_;
  CaptureStats stats_;                                          // counted by the worker
  alignas(base::kCounterAlign) std::atomic<uint64_t> head_{0};  // written by the worker
  alignas(base::kCounterAlign) std::atomic<uint64_t> tail_{0};  // written by the sender
};

HepExporter::HepExporter(config::HepSettings settings, size_t workers)
    : settings_(std::move(settings)) {
  for (size_t i = 0; i < std::max<size_t>(1, workers); ++i) {
    rings_.push_back(std::make_unique<WorkerRing>(static_cast<size_t>(settings_.queue)));
  }
}

HepExporter::~HepExporter() { stop(); }

transport::CaptureTap* HepExporter::tap(size_t index) { return rings_.at(index).get(); }

void HepExporter::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void HepExporter::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

CaptureStats HepExporter::stats() const {
  CaptureStats total;
  total += senderStats_;
  for (const auto& r : rings_) total += r->stats();
  return total;
}

void HepExporter::run() {
  while (!stopping_.load(std::memory_order_relaxed)) {
    if (!drain()) std::this_thread::sleep_for(kIdleWait);
  }
  drain();  // what the workers queued before the stop
}

bool HepExporter::drain() {
  bool any = false;
  size_t count = 0;
  const HepIdentity identity{settings_.agentId, settings_.password};
  for (auto& ring : rings_) {
    while (const WorkerRing::Slot* s = ring->front()) {
      any = true;
      if (count == batch_.size()) batch_.emplace_back();
      const bool encoded = encodeHep(
          transport::CapturedMessage{s->transport, s->source, s->destination, s->when, s->bytes},
          identity, batch_[count]);
      ring->pop();
      if (!encoded) {
        ++senderStats_.dropped;
        continue;
      }
      if (++count == kBatch) {
        sendBatch(count);
        count = 0;
      }
    }
  }
  if (count > 0) sendBatch(count);
  return any;
}

bool HepExporter::connectCollector() {
  if (fd_ >= 0) return true;
  if (settings_.tcp && steadyMs() < nextConnectMs_) return false;
  const base::Address& to = settings_.collector;
  fd_ = ::socket(to.isV6() ? AF_INET6 : AF_INET,
                 (settings_.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  // Bounds a TCP connect to a silent host and a send to a collector that stopped reading, so
  // that a stop never waits long for this thread (Linux applies SO_SNDTIMEO to connect too).
  const timeval limit{.tv_sec = 1, .tv_usec = 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  // UDP connect() only fixes the destination; TCP blocks this thread, never a worker.
  if (::connect(fd_, to.sockaddrPtr(), to.sockaddrLen()) != 0) {
    if (!collectorDown_) {  // once per outage, not once a second
      TG_LOG(kMain, warn,
             "capture: cannot connect to the HEP collector {}: {}; trying again "
             "every second, counting what is lost as send errors",
             to.toString(), std::strerror(errno));
    }
    collectorDown_ = true;
    ::close(fd_);
    fd_ = -1;
    nextConnectMs_ = steadyMs() + kReconnectMs;
    return false;
  }
  if (collectorDown_) {
    TG_LOG(kMain, info, "capture: connected to the HEP collector {}", to.toString());
    collectorDown_ = false;
  }
  if (settings_.tcp) {
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  return true;
}

void HepExporter::sendBatch(size_t count) {
  if (!connectCollector()) {
    senderStats_.sendErrors += count;
    return;
  }
  if (settings_.tcp) {
    stream_.clear();
    for (size_t i = 0; i < count; ++i) stream_ += batch_[i];
    size_t done = 0;
    while (done < stream_.size()) {
      const ssize_t n = ::send(fd_, stream_.data() + done, stream_.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // a broken stream: the next batch reconnects
        senderStats_.sendErrors += count;
        ::close(fd_);
        fd_ = -1;
        return;
      }
      done += static_cast<size_t>(n);
    }
    senderStats_.sent += count;
    return;
  }
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  for (size_t i = 0; i < count; ++i) {
    iov[i] = iovec{batch_[i].data(), batch_[i].size()};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  size_t done = 0;
  while (done < count) {
    const int n = ::sendmmsg(fd_, msgs.data() + done, static_cast<unsigned>(count - done), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // refused (ICMP unreachable) or no buffer: this packet is lost, go on
      ++senderStats_.sendErrors;
      ++done;
      continue;
    }
    senderStats_.sent += static_cast<uint64_t>(n);
    done += static_cast<size_t>(n);
  }
}

}  // namespace tg::app::capture
