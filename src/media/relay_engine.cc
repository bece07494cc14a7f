#include "media/relay_engine.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/log.h"

namespace tg::media {
namespace {

constexpr size_t kBatch = 32;
constexpr size_t kPacketCapacity = 2048;  // RTP over Ethernet fits; SRTP's tag has room
constexpr int kEvents = 64;
// Port pairs one leg tries before the offer is refused ("no media ports free").
constexpr int kMaxBindAttempts = 128;

int bindUdp(const base::Address& address, uint16_t port) {
  base::Address at = address;
  at.setPort(port);
  const int fd =
      ::socket(at.isV4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::bind(fd, at.sockaddrPtr(), at.sockaddrLen()) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void closeLeg(RelayLeg& leg) {
  if (leg.rtpFd >= 0) ::close(leg.rtpFd);
  if (leg.rtcpFd >= 0) ::close(leg.rtcpFd);
  leg.rtpFd = leg.rtcpFd = -1;
}

}  // namespace

// One media thread: its epoll set, its streams and its packet buffers.
class MediaThread {
 public:
  explicit MediaThread(PortPool& ports) : ports_(ports) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the command queue
    if (epoll_ >= 0 && wake_ >= 0) ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    for (size_t i = 0; i < kBatch; ++i) {
      iov_[i] = {buffers_[i], kPacketCapacity};
      in_[i].msg_hdr.msg_iov = &iov_[i];
      in_[i].msg_hdr.msg_iovlen = 1;
      in_[i].msg_hdr.msg_name = &from_[i];
      out_[i].msg_hdr.msg_iovlen = 1;
    }
  }
  ~MediaThread() {
    stop();
    for (auto& [raw, stream] : streams_) release(*stream);
    if (epoll_ >= 0) ::close(epoll_);
    if (wake_ >= 0) ::close(wake_);
  }

  bool valid() const { return epoll_ >= 0 && wake_ >= 0; }
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    post([this] { running_ = false; });
    thread_.join();
  }

  void post(std::function<void()> command) {
    {
      std::lock_guard lock(mutex_);
      commands_.push_back(std::move(command));
    }
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof one);
  }

  void add(std::shared_ptr<RelayStream> stream) {
    post([this, stream = std::move(stream)] {
      for (int side = 0; side < 2; ++side) {
        RelayLeg& leg = stream->legs[side];
        for (int kind = 0; kind < 2; ++kind) {
          leg.refs[kind] = {stream.get(), static_cast<uint8_t>(side), kind == 1};
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.ptr = &leg.refs[kind];
          ::epoll_ctl(epoll_, EPOLL_CTL_ADD, kind == 0 ? leg.rtpFd : leg.rtcpFd, &ev);
        }
      }
      streams_.emplace(stream.get(), stream);
    });
  }

  void remove(RelayStream* raw) {
    post([this, raw] {
      auto it = streams_.find(raw);
      if (it == streams_.end()) return;
      release(*it->second);
      streams_.erase(it);
    });
  }

 private:
  // Closing a socket takes it out of the epoll set; its ports go back to the pool.
  void release(RelayStream& stream) {
    for (RelayLeg& leg : stream.legs) {
      const bool bound = leg.rtpFd >= 0;
      closeLeg(leg);
      if (bound) ports_.give(leg.rtpPort);
    }
  }

  void run() {
    epoll_event events[kEvents];
    while (running_) {
      const int n = ::epoll_wait(epoll_, events, kEvents, 1000);
      // Commands first and apart from the socket events: a stream a command closed is not
      // among the events of the next wait.
      bool commands = false;
      for (int i = 0; i < n; ++i) commands = commands || events[i].data.ptr == nullptr;
      if (commands) {
        runCommands();
        continue;
      }
      for (int i = 0; i < n; ++i) relay(*static_cast<SocketRef*>(events[i].data.ptr));
    }
  }

  void runCommands() {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t r = ::read(wake_, &count, sizeof count);
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(commands_);
    }
    for (auto& command : batch) command();
  }

  // Reads what one socket holds (a few batches at most, so one busy stream does not starve
  // the others) and sends what passes to the other leg's peer.
  void relay(const SocketRef& ref) {
    RelayStream& stream = *ref.stream;
    RelayLeg& in = stream.legs[ref.side];
    RelayLeg& out = stream.legs[1 - ref.side];
    const int inFd = ref.rtcp ? in.rtcpFd : in.rtpFd;
    const int outFd = ref.rtcp ? out.rtcpFd : out.rtpFd;
    for (int round = 0; round < 4; ++round) {
      for (size_t i = 0; i < kBatch; ++i) {
        in_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in6);
        iov_[i].iov_len = kPacketCapacity;
      }
      const int got = ::recvmmsg(inFd, in_, kBatch, MSG_DONTWAIT, nullptr);
      if (got <= 0) return;
      const int64_t now = RelayEngine::nowMs();
      const base::Address* to = destination(out, ref.rtcp);
      size_t sending = 0;
      uint64_t bytes = 0;
      uint64_t foreign = 0;
      uint64_t unauthenticated = 0;
      uint64_t overRate = 0;
      uint64_t payloadType = 0;
      for (int i = 0; i < got; ++i) {
        const base::Address from = base::Address::fromSockaddr(
            reinterpret_cast<const sockaddr*>(&from_[i]), in_[i].msg_hdr.msg_namelen);
        uint8_t* data = buffers_[i];
        size_t size = in_[i].msg_len;
        const bool rtcp = ref.rtcp || isRtcp(data, size);
        // While learning, only a packet that authenticates may teach the latch; once learned,
        // the source is checked first, so foreign packets never touch the SRTP state.
        const bool learning = !(ref.rtcp ? in.rtcpLatch : in.rtpLatch).latched();
        const bool unprotectFirst = learning && in.inbound;
        if (unprotectFirst && !in.inbound->apply(data, size, kPacketCapacity, rtcp)) {
          ++unauthenticated;
          continue;
        }
        const SourceLatch::Verdict verdict = ref.rtcp ? in.rtcpLatch.checkRtcp(from, in.rtpLatch)
                                                      : in.rtpLatch.checkRtp(from, data, size);
        if (verdict == SourceLatch::Verdict::kForeign) ++foreign;
        if (verdict != SourceLatch::Verdict::kAccept) continue;
        // The payload type is in the clear in SRTP too: checked before any decryption.
        if (!rtcp && !payloadTypeAllowed(data, size, in.formats, out.formats)) {
          ++payloadType;
          continue;
        }
        if (!in.ceiling.allow(now, size)) {
          ++overRate;
          continue;
        }
        if (to == nullptr) to = destination(out, ref.rtcp);  // a latch may have just learned
        if (to == nullptr) continue;
        if (!unprotectFirst && in.inbound &&
            !in.inbound->apply(data, size, kPacketCapacity, rtcp)) {
          ++unauthenticated;
          continue;
        }
        if (out.outbound && !out.outbound->apply(data, size, kPacketCapacity, rtcp)) continue;
        outIov_[sending] = {data, size};
        mmsghdr& m = out_[sending];
        m.msg_hdr.msg_iov = &outIov_[sending];
        m.msg_hdr.msg_name = const_cast<sockaddr*>(to->sockaddrPtr());
        m.msg_hdr.msg_namelen = to->sockaddrLen();
        bytes += size;
        ++sending;
      }
      if (foreign != 0) {
        stream.counters.foreign[ref.side].fetch_add(foreign, std::memory_order_relaxed);
      }
      if (unauthenticated != 0) {
        stream.counters.unauthenticated[ref.side].fetch_add(unauthenticated,
                                                            std::memory_order_relaxed);
      }
      if (overRate != 0) {
        stream.counters.overRate[ref.side].fetch_add(overRate, std::memory_order_relaxed);
      }
      if (payloadType != 0) {
        stream.counters.payloadType[ref.side].fetch_add(payloadType, std::memory_order_relaxed);
      }
      if (sending == 0) continue;
      size_t sent = 0;
      while (sent < sending) {
        const int n =
            ::sendmmsg(outFd, out_ + sent, static_cast<unsigned>(sending - sent), MSG_DONTWAIT);
        if (n <= 0) break;  // a full send buffer drops the rest, like the network would
        sent += static_cast<size_t>(n);
      }
      stream.counters.packets[ref.side].fetch_add(sent, std::memory_order_relaxed);
      stream.counters.bytes[ref.side].fetch_add(bytes, std::memory_order_relaxed);
      stream.counters.lastPacketMs.store(now, std::memory_order_relaxed);
      if (got < static_cast<int>(kBatch)) return;
    }
  }

  // Where packets for `leg`'s peer go: the learned source (symmetric RTP, through NAT), else
  // the address its SDP named; null when neither is known (on hold).
  static const base::Address* destination(const RelayLeg& leg, bool rtcp) {
    const SourceLatch& latch = rtcp ? leg.rtcpLatch : leg.rtpLatch;
    if (latch.latched()) return &latch.source();
    if (!leg.peer.enabled) return nullptr;
    return rtcp ? &leg.peer.rtcp : &leg.peer.rtp;
  }

  PortPool& ports_;
  int epoll_ = -1;
  int wake_ = -1;
  std::thread thread_;
  bool running_ = true;  // media thread only
  std::mutex mutex_;
  std::vector<std::function<void()>> commands_;
  std::unordered_map<RelayStream*, std::shared_ptr<RelayStream>> streams_;
  // Packet buffers, allocated once with the thread.
  uint8_t buffers_[kBatch][kPacketCapacity];
  iovec iov_[kBatch];
  iovec outIov_[kBatch];
  sockaddr_in6 from_[kBatch];
  mmsghdr in_[kBatch] = {};
  mmsghdr out_[kBatch] = {};
};

RelayEngine::RelayEngine(uint16_t portMin, uint16_t portMax, int threads)
    : ports_(portMin, portMax) {
  for (int i = 0; i < (threads < 1 ? 1 : threads); ++i) {
    threads_.push_back(std::make_unique<MediaThread>(ports_));
  }
}

RelayEngine::~RelayEngine() { stop(); }

int RelayEngine::threadsFor(const config::MediaSettings& media, int sipWorkers) {
  if (media.threads > 0) return media.threads;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, cores - sipWorkers);
}

std::string RelayEngine::start() {
  for (auto& t : threads_) {
    if (!t->valid()) return "media: could not create the relay's epoll set";
  }
  for (auto& t : threads_) t->start();
  return {};
}

void RelayEngine::stop() {
  for (auto& t : threads_) t->stop();
}

int64_t RelayEngine::nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<RelayStream> RelayEngine::open(const base::Address& bindA,
                                               const base::Address& bindB, int packetsPerSecond,
                                               int kbps) {
  auto stream = std::make_shared<RelayStream>();
  const base::Address binds[2] = {bindA, bindB};
  for (int side = 0; side < 2; ++side) {
    RelayLeg& leg = stream->legs[side];
    leg.bind = binds[side];
    leg.ceiling.configure(packetsPerSecond, kbps);
    // A pair some other program holds (another relay, a second gateway on the host) is
    // skipped and goes to the back of the line: it may be free by the time its turn comes
    // again. Bounded, so an offer never walks the whole range on the worker's thread.
    std::vector<uint16_t> skipped;
    for (int attempt = 0; attempt < kMaxBindAttempts && leg.rtpFd < 0; ++attempt) {
      const auto port = ports_.take();
      if (!port) break;
      leg.rtpFd = bindUdp(leg.bind, *port);
      leg.rtcpFd = leg.rtpFd >= 0 ? bindUdp(leg.bind, static_cast<uint16_t>(*port + 1)) : -1;
      if (leg.rtcpFd < 0) {
        closeLeg(leg);
        skipped.push_back(*port);
        continue;
      }
      leg.rtpPort = *port;
    }
    for (uint16_t port : skipped) ports_.give(port);
    if (!skipped.empty()) {
      TG_LOG(kB2bua, warn, "media: {} port pair(s) on {} in use by another program, from {}-{}",
             skipped.size(), leg.bind.ip(), skipped.front(), skipped.front() + 1);
    }
    if (leg.rtpFd < 0) {
      for (RelayLeg& l : stream->legs) {
        const bool bound = l.rtpFd >= 0;
        closeLeg(l);
        if (bound) ports_.give(l.rtpPort);
      }
      return nullptr;
    }
  }
  stream->thread = next_.fetch_add(1, std::memory_order_relaxed) % threads_.size();
  threads_[stream->thread]->add(stream);
  return stream;
}

void RelayEngine::setPeer(const std::shared_ptr<RelayStream>& stream, int side,
                          const PeerMedia& peer, bool relearn, bool pinned, int probation) {
  threads_[stream->thread]->post([stream, side, peer, relearn, pinned, probation] {
    RelayLeg& leg = stream->legs[side];
    leg.peer = peer;
    if (pinned) {
      leg.rtpLatch.pin(peer.enabled ? peer.rtp : base::Address());
      leg.rtcpLatch.pin(peer.enabled ? peer.rtcp : base::Address());
    } else if (relearn) {
      leg.rtpLatch.reset(peer.enabled ? peer.rtp : base::Address(), probation);
      leg.rtcpLatch.reset(peer.enabled ? peer.rtcp : base::Address(), probation);
    }
  });
}

void RelayEngine::setPayloadTypes(const std::shared_ptr<RelayStream>& stream, int side,
                                  PayloadTypes formats) {
  threads_[stream->thread]->post([stream, side, formats] { stream->legs[side].formats = formats; });
}

void RelayEngine::setTransforms(const std::shared_ptr<RelayStream>& stream, int side,
                                std::shared_ptr<PacketTransform> inbound,
                                std::shared_ptr<PacketTransform> outbound) {
  threads_[stream->thread]->post([stream, side, inbound, outbound] {
    stream->legs[side].inbound = inbound;
    stream->legs[side].outbound = outbound;
  });
}

void RelayEngine::close(const std::shared_ptr<RelayStream>& stream) {
  threads_[stream->thread]->remove(stream.get());
}

}  // namespace tg::media
