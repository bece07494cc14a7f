// tg_rtp_gen: the media benchmark's RTP endpoints (bench/media/run_media.py). Plays both ends of
// N calls through a relay: from socket A to each call's A-leg port and from socket B to its
// B-leg port, `--pps` packets per second each way (G.711's 20 ms: 50), 12-byte RTP header +
// `--payload` bytes carrying the send time. The calls are spread over 1 ms slots so that the
// relay sees a steady rate, not one burst per period. Receives what the relay forwards and
// measures loss, one-way latency through the relay and RFC 3550 interarrival jitter.
// Loopback only; batches with sendmmsg/recvmmsg so that the generator costs less than a relay.
//
//   tg_rtp_gen --targets ports.txt --src-a 40000 --src-b 40002 --seconds 10
//              [--ip 127.0.0.1] [--pps 50] [--payload 160]
//
// ports.txt: one line per call, "<A-leg RTP port> <B-leg RTP port>" (what tg_media_relay
// prints). Prints one JSON line.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr int kBatch = 64;
constexpr int kSlots = 20;                // per period: 1 ms each at 50 packets/s
constexpr int kHistogramBuckets = 20000;  // 10 µs each: 0-200 ms

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "tg_rtp_gen: %s\n", why.c_str());
  std::exit(2);
}

int64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

sockaddr_in loopback(const std::string& ip, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1 || ip.rfind("127.", 0) != 0) {
    fail("addresses must be 127.x.x.x");
  }
  return sa;
}

int boundSocket(const std::string& ip, int port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const sockaddr_in sa = loopback(ip, port);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    fail("cannot bind " + ip + ":" + std::to_string(port));
  }
  const int size = 16 << 20;  // one period of every call fits even if the generator stalls
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  return fd;
}

// RFC 3550 A.8's interarrival jitter of one direction of one call, in nanoseconds.
struct Direction {
  uint16_t sequence = 0;
  int64_t lastTransit = 0;
  double jitter = 0;
  uint64_t received = 0;
};

struct Stats {
  uint64_t received = 0;
  uint64_t misrouted = 0;
  double latencySum = 0;
  int64_t latencyMax = 0;
  std::vector<uint64_t> histogram = std::vector<uint64_t>(kHistogramBuckets + 1, 0);
};

class Receiver {
 public:
  Receiver(size_t calls) : directions_(calls * 2) {
    for (int i = 0; i < kBatch; ++i) {
      iov_[i] = {buffers_[i], sizeof buffers_[i]};
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }
  // Reads what `fd` holds; `expectedDirection`: 0 for packets A sent (arriving at B).
  void drain(int fd, int expectedDirection, Stats& stats) {
    for (;;) {
      const int got = ::recvmmsg(fd, msgs_, kBatch, MSG_DONTWAIT, nullptr);
      if (got <= 0) return;
      const int64_t now = nowNs();
      for (int i = 0; i < got; ++i)
        account(buffers_[i], msgs_[i].msg_len, expectedDirection, now, stats);
      if (got < kBatch) return;
    }
  }
  double meanJitterNs() const {
    double sum = 0;
    size_t n = 0;
    for (const Direction& d : directions_) {
      if (d.received < 2) continue;
      sum += d.jitter;
      ++n;
    }
    return n == 0 ? 0 : sum / static_cast<double>(n);
  }

 private:
  void account(const uint8_t* p, size_t size, int expectedDirection, int64_t now, Stats& stats) {
    if (size < 20) return;
    uint32_t ssrc = 0;
    int64_t sent = 0;
    std::memcpy(&ssrc, p + 8, 4);
    ssrc = ntohl(ssrc);
    std::memcpy(&sent, p + 12, 8);
    const size_t index = ssrc - 0x1000;
    if (index >= directions_.size() || static_cast<int>(index % 2) != expectedDirection) {
      ++stats.misrouted;
      return;
    }
    ++stats.received;
    const int64_t transit = now - sent;
    stats.latencySum += static_cast<double>(transit);
    stats.latencyMax = std::max(stats.latencyMax, transit);
    ++stats.histogram[std::min<int64_t>(kHistogramBuckets, std::max<int64_t>(0, transit) / 10000)];
    Direction& d = directions_[index];
    if (d.received > 0) {
      const double delta = std::fabs(static_cast<double>(transit - d.lastTransit));
      d.jitter += (delta - d.jitter) / 16;
    }
    d.lastTransit = transit;
    ++d.received;
  }

  std::vector<Direction> directions_;
  uint8_t buffers_[kBatch][2048];
  iovec iov_[kBatch];
  mmsghdr msgs_[kBatch] = {};
};

double percentileUs(const std::vector<uint64_t>& histogram, uint64_t total, double q) {
  const auto want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  uint64_t seen = 0;
  for (size_t i = 0; i < histogram.size(); ++i) {
    seen += histogram[i];
    if (seen >= want && want > 0) return static_cast<double>(i) * 10;
  }
  return 0;
}

double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string targets;
  std::string ip = "127.0.0.1";
  int srcA = 0, srcB = 0, pps = 50, payload = 160;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--targets")
      targets = value;
    else if (key == "--ip")
      ip = value;
    else if (key == "--src-a")
      srcA = std::atoi(value);
    else if (key == "--src-b")
      srcB = std::atoi(value);
    else if (key == "--pps")
      pps = std::atoi(value);
    else if (key == "--payload")
      payload = std::atoi(value);
    else if (key == "--seconds")
      seconds = std::atof(value);
    else
      fail("unknown option " + key);
  }
  if (srcA <= 0 || srcB <= 0 || pps < 1 || payload < 8 || payload > 1400 || seconds <= 0) {
    fail("--src-a, --src-b, --pps >= 1, --payload 8-1400 and --seconds > 0 are required");
  }
  std::vector<std::pair<sockaddr_in, sockaddr_in>> calls;
  std::ifstream in(targets);
  for (int a = 0, b = 0; in >> a >> b;) calls.emplace_back(loopback(ip, a), loopback(ip, b));
  if (calls.empty()) fail("no calls in " + targets);

  const int fds[2] = {boundSocket("127.0.0.1", srcA), boundSocket("127.0.0.1", srcB)};
  // One packet per call and direction, rewritten in place (sequence, timestamp, send time).
  const size_t size = 12 + static_cast<size_t>(payload);
  std::vector<uint8_t> packets(calls.size() * 2 * size, 0);
  for (size_t i = 0; i < calls.size() * 2; ++i) {
    uint8_t* p = &packets[i * size];
    p[0] = 0x80;  // RTP version 2
    p[1] = 0;     // PCMU
    const uint32_t ssrc = htonl(static_cast<uint32_t>(0x1000 + i));
    std::memcpy(p + 8, &ssrc, 4);
  }
  Receiver receiver(calls.size());
  Stats stats;
  uint64_t sent = 0;
  int64_t maxLagNs = 0;
  mmsghdr out[kBatch] = {};
  iovec outIov[kBatch];

  const int64_t periodNs = 1000000000LL / pps;
  const int64_t slotNs = periodNs / kSlots;
  const int64_t start = nowNs();
  const int64_t end = start + static_cast<int64_t>(seconds * 1e9);
  const double cpuStart = cpuSeconds();
  uint16_t sequence = 0;
  for (int64_t slot = 0;; ++slot) {
    const int64_t due = start + slot * slotNs;
    if (due >= end) break;
    // Wait for the slot while draining what the relay forwards.
    for (int64_t now = nowNs(); now < due; now = nowNs()) {
      pollfd pfd[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
      const int ms = static_cast<int>((due - now + 999999) / 1000000);
      if (::poll(pfd, 2, ms) > 0) {
        receiver.drain(fds[1], 0, stats);
        receiver.drain(fds[0], 1, stats);
      }
    }
    maxLagNs = std::max(maxLagNs, nowNs() - due);
    const int inPeriod = static_cast<int>(slot % kSlots);
    if (inPeriod == 0) ++sequence;
    const uint32_t timestamp = htonl(static_cast<uint32_t>(slot / kSlots) * 160);
    const uint16_t seq = htons(sequence);
    for (int direction = 0; direction < 2; ++direction) {
      int batched = 0;
      auto flush = [&] {
        int done = 0;
        while (done < batched) {
          const int n = ::sendmmsg(fds[direction], out + done, batched - done, 0);
          if (n <= 0) break;
          done += n;
        }
        sent += static_cast<uint64_t>(done);
        batched = 0;
      };
      for (size_t call = static_cast<size_t>(inPeriod); call < calls.size(); call += kSlots) {
        uint8_t* p = &packets[(call * 2 + direction) * size];
        std::memcpy(p + 2, &seq, 2);
        std::memcpy(p + 4, &timestamp, 4);
        const int64_t now = nowNs();
        std::memcpy(p + 12, &now, 8);
        outIov[batched] = {p, size};
        out[batched].msg_hdr.msg_iov = &outIov[batched];
        out[batched].msg_hdr.msg_iovlen = 1;
        const sockaddr_in& to = direction == 0 ? calls[call].first : calls[call].second;
        out[batched].msg_hdr.msg_name = const_cast<sockaddr_in*>(&to);
        out[batched].msg_hdr.msg_namelen = sizeof to;
        if (++batched == kBatch) flush();
      }
      flush();
    }
  }
  // What is still in flight.
  for (const int64_t until = nowNs() + 300000000; nowNs() < until;) {
    pollfd pfd[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    if (::poll(pfd, 2, 50) > 0) {
      receiver.drain(fds[1], 0, stats);
      receiver.drain(fds[0], 1, stats);
    }
  }
  const double wall = static_cast<double>(nowNs() - start) / 1e9;
  const double mean = stats.received ? stats.latencySum / static_cast<double>(stats.received) : 0;
  std::printf(
      "{\"calls\": %zu, \"sent\": %llu, \"received\": %llu, \"lost\": %lld, \"misrouted\": %llu, "
      "\"latency_mean_us\": %.1f, \"latency_p50_us\": %.0f, \"latency_p99_us\": %.0f, "
      "\"latency_max_us\": %.0f, \"jitter_mean_us\": %.1f, \"max_send_lag_us\": %.0f, "
      "\"generator_cpu_s\": %.3f, \"wall_s\": %.3f}\n",
      calls.size(), static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(stats.received),
      static_cast<long long>(sent) - static_cast<long long>(stats.received),
      static_cast<unsigned long long>(stats.misrouted), mean / 1000,
      percentileUs(stats.histogram, stats.received, 0.5),
      percentileUs(stats.histogram, stats.received, 0.99),
      static_cast<double>(stats.latencyMax) / 1000, receiver.meanJitterNs() / 1000,
      static_cast<double>(maxLagNs) / 1000, cpuSeconds() - cpuStart, wall);
  return 0;
}
