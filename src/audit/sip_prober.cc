#include "audit/sip_prober.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>

#include "audit/sip_stream.h"
#include "base/random.h"
#include "sip/auth_header.h"
#include "sip/message.h"

namespace tg::audit {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kT1{500};

bool contentTypeIsSdp(std::string_view value) {
  constexpr std::string_view kSdp = "application/sdp";
  const size_t start = value.find_first_not_of(" \t");
  if (start == std::string_view::npos || value.size() - start < kSdp.size()) return false;
  return std::equal(
      kSdp.begin(), kSdp.end(), value.begin() + static_cast<long>(start),
      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

}  // namespace

std::string_view probeTransportName(ProbeTransport t) {
  switch (t) {
    case ProbeTransport::kUdp:
      return "UDP";
    case ProbeTransport::kTcp:
      return "TCP";
    case ProbeTransport::kTls:
      return "TLS";
  }
  return "UDP";
}

std::string ProbeTarget::text() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ProbeTarget> parseProbeTarget(std::string_view text, std::string* error) {
  if (text.empty() || text.find_first_of("/*, \t") != std::string_view::npos) {
    *error = "'" + std::string(text) +
             "': name one host or address (HOST or HOST:PORT); "
             "ranges, networks and lists are refused";
    return std::nullopt;
  }
  ProbeTarget t;
  std::string_view port;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      *error = "'" + std::string(text) + "': missing ']'";
      return std::nullopt;
    }
    t.host = std::string(text.substr(1, close - 1));
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        *error = "'" + std::string(text) + "': expected :PORT after ']'";
        return std::nullopt;
      }
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    t.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  } else {
    t.host = std::string(text);  // a name, an IPv4 address or a bare IPv6 address
  }
  if (!port.empty() || (text.back() == ':')) {
    unsigned value = 0;
    for (const char c : port) {
      if (c < '0' || c > '9' || value > 65535) {
        value = 70000;
        break;
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (port.empty() || value == 0 || value > 65535) {
      *error = "'" + std::string(text) + "': the port must be 1-65535";
      return std::nullopt;
    }
    t.port = static_cast<uint16_t>(value);
  }
  if (t.host.empty()) {
    *error = "'" + std::string(text) + "': no host";
    return std::nullopt;
  }
  return t;
}

std::optional<base::Address> resolveProbeTarget(const ProbeTarget& target, std::string* error) {
  if (auto literal = base::Address::parse(target.host, target.port)) return literal;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(target.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    *error = target.host + ": cannot resolve: " + ::gai_strerror(rc);
    return std::nullopt;
  }
  base::Address a = base::Address::fromSockaddr(found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  a.setPort(target.port);
  return a;
}

SipProber::SipProber(base::Address target, std::string targetHost, milliseconds timeout,
                     milliseconds spacing)
    : target_(target), targetHost_(std::move(targetHost)), timeout_(timeout), spacing_(spacing) {
  // The host goes into URIs: an IPv6 literal needs its brackets there.
  if (targetHost_.find(':') != std::string::npos && targetHost_.front() != '[') {
    targetHost_ = "[" + targetHost_ + "]";
  }
}

SipProber::~SipProber() {
  if (fd_ >= 0) ::close(fd_);
}

void SipProber::useStream(ProbeTransport transport, std::string serverName) {
  transport_ = transport;
  serverName_ = std::move(serverName);
}

milliseconds SipProber::firstInterval() const {
  return transport_ == ProbeTransport::kUdp ? kT1 : std::chrono::hours(1);
}

std::string SipProber::via(const std::string& branch) const {
  return "Via: SIP/2.0/" + std::string(probeTransportName(transport_)) + " " + localHost_ + ":" +
         std::to_string(localPort_) + ";branch=" + branch + ";rport\r\n";
}

std::string SipProber::contactUri(const std::string& user) const {
  const std::string uri = scheme_ + user + "@" + localHost_ + ":" + std::to_string(localPort_);
  if (transport_ == ProbeTransport::kTcp) return uri + ";transport=tcp";
  if (transport_ == ProbeTransport::kTls && scheme_ == "sip:") return uri + ";transport=tls";
  return uri;
}

bool SipProber::open(std::string* error) {
  if (fd_ >= 0 || stream_) return true;
  if (transport_ != ProbeTransport::kUdp) {
    auto stream = std::make_unique<SipStream>();
    if (!stream->open(target_, transport_ == ProbeTransport::kTls, serverName_, timeout_, error)) {
      return false;
    }
    localHost_ = stream->local().sipHost();
    localIp_ = stream->local().ip();
    localPort_ = stream->local().port();
    stream_ = std::move(stream);
    return true;
  }
  fd_ = ::socket(target_.isV6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  // connect(): the kernel then delivers only the target's datagrams to this socket.
  if (fd_ < 0 || ::connect(fd_, target_.sockaddrPtr(), target_.sockaddrLen()) != 0) {
    *error = target_.toString() + ": " + std::strerror(errno);
    return false;
  }
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
  const base::Address self = base::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&local), len);
  localHost_ = self.sipHost();
  localIp_ = self.ip();
  localPort_ = self.port();
  return true;
}

std::optional<SipAnswer> SipProber::options(std::string* error) {
  return transact("OPTIONS", "", error);
}

std::optional<SipAnswer> SipProber::registerUser(const std::string& user, std::string* error) {
  return transact("REGISTER", user, error);
}

void SipProber::pace() {
  if (lastSent_) {
    const auto wait = *lastSent_ + spacing_ - Clock::now();
    if (wait > Clock::duration::zero()) std::this_thread::sleep_for(wait);
  }
  lastSent_ = Clock::now();
}

bool SipProber::send(const std::string& text, std::string* error) {
  if (stream_) {
    if (stream_->send(text, error)) return true;
    *error = target_.toString() + ": " + *error;
    return false;
  }
  if (::send(fd_, text.data(), text.size(), 0) < 0 && errno != ECONNREFUSED) {
    *error = target_.toString() + ": send: " + std::strerror(errno);
    return false;
  }
  return true;
}

std::optional<SipProber::Response> SipProber::parseResponse(std::string text,
                                                            const std::string& callId) const {
  sip::Message m;
  sip::ParseOptions how;
  how.framing = stream_ ? sip::Framing::kStream : sip::Framing::kDatagram;
  if (!m.parse(text, how).ok() || !m.isResponse() || m.callId() != callId) {
    return std::nullopt;  // not ours
  }
  Response r;
  r.answer.status = m.statusCode();
  r.answer.reason = std::string(m.reasonPhrase());
  r.answer.server = std::string(m.value(sip::HeaderId::kServer));
  r.answer.userAgent = std::string(m.value(sip::HeaderId::kUserAgent));
  r.answer.challenged =
      m.has(sip::HeaderId::kWwwAuthenticate) || m.has(sip::HeaderId::kProxyAuthenticate);
  for (const sip::HeaderId id :
       {sip::HeaderId::kWwwAuthenticate, sip::HeaderId::kProxyAuthenticate}) {
    m.forEach(id, [&](const sip::HeaderField& f) {
      const auto challenge = sip::parseChallenge(f.value);
      if (!challenge.ok() || !challenge->isDigest()) return;
      r.answer.digestAlgorithms.push_back(challenge->algorithm.present ? challenge->algorithm.str()
                                                                       : std::string("MD5"));
    });
  }
  if (contentTypeIsSdp(m.value(sip::HeaderId::kContentType))) {
    r.answer.sdp = std::string(m.body());
  }
  r.to = std::string(m.value(sip::HeaderId::kTo));
  if (const sip::CSeq* cseq = m.cseq()) r.cseqMethod = std::string(cseq->methodText);
  if (const sip::NameAddr* contact = m.contact()) r.contact = std::string(contact->uri.text);
  if (r.answer.challenged) r.answer.message = std::move(text);
  return r;
}

std::optional<SipProber::Response> SipProber::receive(const std::string& callId,
                                                      Clock::time_point until) {
  if (stream_) {
    while (auto text = stream_->next(until)) {
      if (auto r = parseResponse(std::move(*text), callId)) return r;
    }
    return std::nullopt;  // timeout, or the connection closed
  }
  char buffer[65536];
  while (true) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) continue;  // ECONNREFUSED (ICMP port unreachable) and the like: keep waiting
    if (auto r = parseResponse(std::string(buffer, static_cast<size_t>(n)), callId)) return r;
  }
}

std::optional<SipAnswer> SipProber::transact(std::string_view method, const std::string& user,
                                             std::string* error) {
  if (!open(error)) return std::nullopt;
  pace();
  const std::string host = target_.sipHost() + ":" + std::to_string(target_.port());
  const std::string branch = "z9hG4bK-tga-" + base::randomHex(8);
  const std::string callId = base::randomHex(12) + "@" + localHost_;
  const std::string self = localHost_ + ":" + std::to_string(localPort_);
  const bool isRegister = method == "REGISTER";
  const std::string aor = isRegister ? scheme_ + user + "@" + targetHost_ : scheme_ + host;
  std::string request =
      std::string(method) + " " + (isRegister ? scheme_ + targetHost_ : aor) + " SIP/2.0\r\n";
  request += via(branch);
  request += "Max-Forwards: 70\r\n";
  request +=
      "From: <" + (isRegister ? aor : "sip:audit@" + self) + ">;tag=" + base::randomHex(6) + "\r\n";
  request += "To: <" + aor + ">\r\n";
  request += "Call-ID: " + callId + "\r\n";
  request += "CSeq: " + std::to_string(++cseq_) + " " + std::string(method) + "\r\n";
  if (isRegister) {
    request += "Contact: <" + contactUri(user) + ">\r\nExpires: 0\r\n";
  } else {
    request += "Accept: application/sdp\r\n";
  }
  request += "User-Agent: trunkguard-audit\r\nContent-Length: 0\r\n\r\n";

  const auto deadline = Clock::now() + timeout_;
  milliseconds interval = firstInterval();
  while (Clock::now() < deadline) {
    // RFC 3261 17.1.2.2: retransmit at T1, doubling, capped by T2 (4 s); over UDP only.
    if (!send(request, error)) return std::nullopt;
    const auto retransmitAt = std::min(Clock::now() + interval, deadline);
    interval = std::min(interval * 2, std::max(firstInterval(), milliseconds(4000)));
    while (auto r = receive(callId, retransmitAt)) {
      if (r->answer.status >= 200) return r->answer;
    }
    if (stream_ && stream_->closed()) {
      *error =
          target_.toString() + " closed the connection without answering " + std::string(method);
      return std::nullopt;
    }
  }
  *error = "no final answer to " + std::string(method) + " from " + target_.toString() +
           " within " + std::to_string(timeout_.count()) + " ms";
  return std::nullopt;
}

}  // namespace tg::audit
