// tg_flood: the DoS benchmark's traffic generator (docs/benchmarks.md, "DoS resilience").
//
// Sends pre-built SIP datagrams with sendmmsg from many loopback source addresses at a paced
// rate: INVITEs, REGISTERs and OPTIONS from anonymous sources, scanner-signed OPTIONS
// (User-Agent: friendly-scanner) and malformed datagrams, in equal shares. Nothing is parsed
// or answered here: it only measures what it managed to send. Loopback targets only.
//
//   tg_flood --target 127.0.0.1:5090 --sources 50 --first-source 127.0.10.1 --rate 20000
//            --seconds 10 [--mix invite,register,options,scanner,malformed]
//
// Prints one JSON line: {"sent": N, "errors": N, "seconds": S, "rate": R}.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string targetIp = "127.0.0.1";
  int targetPort = 5060;
  std::string firstSource = "127.0.10.1";
  int sources = 50;
  double rate = 20000;  // datagrams per second, all sources together
  double seconds = 10;
  std::vector<std::string> mix = {"invite", "register", "options", "scanner", "malformed"};
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "tg_flood: %s\nusage: tg_flood --target IP:PORT [--sources N] "
               "[--first-source 127.0.10.1] [--rate PPS] [--seconds S] "
               "[--mix invite,register,options,scanner,malformed]\n",
               why);
  std::exit(2);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage("every option takes a value");
    const std::string value = argv[++i];
    if (flag == "--target") {
      const size_t colon = value.rfind(':');
      if (colon == std::string::npos) usage("--target needs IP:PORT");
      o.targetIp = value.substr(0, colon);
      o.targetPort = std::atoi(value.c_str() + colon + 1);
    } else if (flag == "--sources") {
      o.sources = std::atoi(value.c_str());
    } else if (flag == "--first-source") {
      o.firstSource = value;
    } else if (flag == "--rate") {
      o.rate = std::atof(value.c_str());
    } else if (flag == "--seconds") {
      o.seconds = std::atof(value.c_str());
    } else if (flag == "--mix") {
      o.mix = split(value, ',');
    } else {
      usage("unknown option");
    }
  }
  if (o.sources < 1 || o.sources > 250) usage("--sources must be 1..250");
  if (o.rate <= 0 || o.seconds <= 0) usage("--rate and --seconds must be positive");
  if (o.targetIp.rfind("127.", 0) != 0) usage("the target must be a loopback address");
  return o;
}

// One datagram of `kind` from `source`; `n` varies Call-ID, branch and the probed user so
// that the gateway cannot treat the flood as retransmissions.
std::string datagram(const std::string& kind, const std::string& source, int sourcePort,
                     const Options& o, int n) {
  const std::string target = o.targetIp + ":" + std::to_string(o.targetPort);
  const std::string id = std::to_string(n);
  std::string method = "OPTIONS";
  std::string userAgent = "flood/1.0";
  std::string user = "100";
  if (kind == "malformed") {
    return "INVITE sip:" + id + "@" + target +
           " SIP/2.0\r\nVia: garbage\r\nContent-Length: x\r\n\r\n";
  }
  if (kind == "invite") method = "INVITE", user = std::to_string(1000 + n % 500);
  if (kind == "register") method = "REGISTER", user = std::to_string(200 + n % 50);
  if (kind == "scanner") userAgent = "friendly-scanner";
  std::string m = method + " sip:" + user + "@" + target + " SIP/2.0\r\n";
  m += "Via: SIP/2.0/UDP " + source + ":" + std::to_string(sourcePort) + ";branch=z9hG4bK-fl" + id +
       "\r\n";
  m += "Max-Forwards: 70\r\n";
  m += "From: <sip:" + user + "@" + o.targetIp + ">;tag=fl" + id + "\r\n";
  m += "To: <sip:" + user + "@" + o.targetIp + ">\r\n";
  m += "Call-ID: flood-" + source + "-" + id + "\r\n";
  m += "CSeq: 1 " + method + "\r\n";
  m += "Contact: <sip:" + user + "@" + source + ":" + std::to_string(sourcePort) + ">\r\n";
  m += "User-Agent: " + userAgent + "\r\n";
  m += "Content-Length: 0\r\n\r\n";
  return m;
}

struct Source {
  int fd = -1;
  std::vector<std::string> datagrams;  // cycled through
  size_t next = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(o.targetPort));
  if (inet_pton(AF_INET, o.targetIp.c_str(), &target.sin_addr) != 1) usage("bad --target IP");
  in_addr first{};
  if (inet_pton(AF_INET, o.firstSource.c_str(), &first) != 1) usage("bad --first-source");

  constexpr int kVariants = 64;  // distinct datagrams per kind and source
  std::vector<Source> sources(static_cast<size_t>(o.sources));
  for (int s = 0; s < o.sources; ++s) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(ntohl(first.s_addr) + static_cast<uint32_t>(s));
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &local.sin_addr, ip, sizeof ip);
    if (std::strncmp(ip, "127.", 4) != 0) usage("sources must stay inside 127.0.0.0/8");
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      std::perror("tg_flood: socket/bind");
      return 1;
    }
    socklen_t len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    sources[static_cast<size_t>(s)].fd = fd;
    for (int v = 0; v < kVariants; ++v) {
      for (const std::string& kind : o.mix) {
        sources[static_cast<size_t>(s)].datagrams.push_back(
            datagram(kind, ip, ntohs(local.sin_port), o, s * kVariants + v));
      }
    }
  }

  // Paced in rounds of one batch per source; the sleep between rounds keeps the mean rate.
  constexpr int kBatch = 16;
  const double perRound = static_cast<double>(kBatch) * o.sources;
  const auto roundTime = std::chrono::duration<double>(perRound / o.rate);
  uint64_t sent = 0;
  uint64_t errors = 0;
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(kBatch);
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(o.seconds);
  auto nextRound = start;
  while (std::chrono::steady_clock::now() < end) {
    for (Source& src : sources) {
      for (int i = 0; i < kBatch; ++i) {
        std::string& d = src.datagrams[src.next];
        src.next = (src.next + 1) % src.datagrams.size();
        iov[static_cast<size_t>(i)] = {d.data(), d.size()};
        msgs[static_cast<size_t>(i)] = {};
        msgs[static_cast<size_t>(i)].msg_hdr.msg_name = &target;
        msgs[static_cast<size_t>(i)].msg_hdr.msg_namelen = sizeof target;
        msgs[static_cast<size_t>(i)].msg_hdr.msg_iov = &iov[static_cast<size_t>(i)];
        msgs[static_cast<size_t>(i)].msg_hdr.msg_iovlen = 1;
      }
      const int n = sendmmsg(src.fd, msgs.data(), kBatch, 0);
      if (n > 0) sent += static_cast<uint64_t>(n);
      if (n < kBatch) errors += static_cast<uint64_t>(kBatch - (n > 0 ? n : 0));
    }
    nextRound += std::chrono::duration_cast<std::chrono::steady_clock::duration>(roundTime);
    std::this_thread::sleep_until(nextRound);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"sent\": %llu, \"errors\": %llu, \"seconds\": %.3f, \"rate\": %.0f}\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(errors),
              elapsed, static_cast<double>(sent) / elapsed);
  for (Source& s : sources) close(s.fd);
  return 0;
}
