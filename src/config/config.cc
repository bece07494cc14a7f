#include "config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "sip/host.h"

namespace tg::config {
namespace {

// The address bytes in network order; returns 4, 16, or 0 for an invalid address.
size_t addressBytes(const base::Address& a, uint8_t out[16]) {
  if (a.isV4()) {
    std::memcpy(out, &reinterpret_cast<const sockaddr_in*>(a.sockaddrPtr())->sin_addr, 4);
    return 4;
  }
  if (a.isV6()) {
    std::memcpy(out, &reinterpret_cast<const sockaddr_in6*>(a.sockaddrPtr())->sin6_addr, 16);
    return 16;
  }
  return 0;
}

base::Address addressFromBytes(const uint8_t* bytes, size_t len) {
  if (len == 4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr, bytes, 4);
    return base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof(sin));
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  std::memcpy(&sin6.sin6_addr, bytes, 16);
  return base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof(sin6));
}

// True when the first `bits` bits of a and b agree.
bool prefixMatches(const uint8_t* a, const uint8_t* b, unsigned bits) {
  const unsigned whole = bits / 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

bool parsePort(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return false;
  if (value < 1 || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

void setError(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

}  // namespace

std::string_view transportName(TransportKind t) {
  switch (t) {
    case TransportKind::kUdp:
      return "udp";
    case TransportKind::kTcp:
      return "tcp";
    case TransportKind::kTls:
      return "tls";
  }
  return "unknown";
}

std::string_view viaTransportName(TransportKind t) {
  switch (t) {
    case TransportKind::kUdp:
      return "UDP";
    case TransportKind::kTcp:
      return "TCP";
    case TransportKind::kTls:
      return "TLS";
  }
  return "UDP";
}

std::optional<TransportKind> parseTransportName(std::string_view name) {
  if (name == "udp") return TransportKind::kUdp;
  if (name == "tcp") return TransportKind::kTcp;
  if (name == "tls") return TransportKind::kTls;
  return std::nullopt;
}

bool Cidr::contains(const base::Address& a) const {
  uint8_t net[16] = {};
  uint8_t addr[16] = {};
  const size_t netLen = addressBytes(network, net);
  size_t addrLen = addressBytes(a, addr);
  if (netLen == 0 || addrLen == 0) return false;
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they still match IPv4 networks.
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (netLen == 4 && addrLen == 16 && std::memcmp(addr, kMappedPrefix, 12) == 0) {
    std::memmove(addr, addr + 12, 4);
    addrLen = 4;
  }
  if (netLen != addrLen) return false;
  return prefixMatches(net, addr, prefixLength);
}

std::optional<Cidr> Cidr::parse(std::string_view text, std::string* error) {
  const size_t slash = text.find('/');
  const std::string_view ipText = text.substr(0, slash);
  auto address = base::Address::parse(ipText, 0);
  if (!address) {
    setError(error, "'" + std::string(text) +
                        "' is not an IP network; write e.g. 192.0.2.0/24, 2001:db8::/32 or a "
                        "single address");
    return std::nullopt;
  }
  const unsigned maxBits = address->isV4() ? 32 : 128;
  unsigned bits = maxBits;
  if (slash != std::string_view::npos) {
    const std::string_view bitsText = text.substr(slash + 1);
    const auto [end, ec] =
        std::from_chars(bitsText.data(), bitsText.data() + bitsText.size(), bits);
    if (bitsText.empty() || ec != std::errc() || end != bitsText.data() + bitsText.size() ||
        bits > maxBits) {
      setError(error, "'" + std::string(text) + "' has an invalid prefix length; use 0-" +
                          std::to_string(maxBits) + " for an " +
                          (address->isV4() ? "IPv4" : "IPv6") + " network");
      return std::nullopt;
    }
  }
  uint8_t bytes[16] = {};
  const size_t len = addressBytes(*address, bytes);
  uint8_t masked[16] = {};
  for (size_t i = 0; i < len; ++i) {
    const unsigned bitStart = static_cast<unsigned>(i) * 8;
    if (bitStart + 8 <= bits) {
      masked[i] = bytes[i];
    } else if (bitStart < bits) {
      masked[i] = static_cast<uint8_t>(bytes[i] & (0xFF << (8 - (bits - bitStart))));
    }
  }
  const base::Address network = addressFromBytes(masked, len);
  if (std::memcmp(bytes, masked, len) != 0) {
    // Almost always a typo for the network (10.1.2.3/8) or a missing /32; say which was meant.
    setError(error, "'" + std::string(text) + "' has host bits set; write the network " +
                        network.ip() + "/" + std::to_string(bits) + " or a single address " +
                        address->ip() + "/" + std::to_string(maxBits));
    return std::nullopt;
  }
  Cidr cidr;
  cidr.network = network;
  cidr.prefixLength = static_cast<uint8_t>(bits);
  cidr.text = network.ip() + "/" + std::to_string(bits);
  return cidr;
}

Cidr Cidr::single(const base::Address& a) {
  Cidr cidr;
  uint8_t bytes[16] = {};
  const size_t len = addressBytes(a, bytes);
  cidr.network = addressFromBytes(bytes, len == 0 ? 4 : len);
  cidr.prefixLength = static_cast<uint8_t>(len * 8);
  cidr.text = cidr.network.ip() + "/" + std::to_string(len * 8);
  return cidr;
}

std::optional<Listener> parseListener(std::string_view url, std::string* error) {
  const std::string quoted = "'" + std::string(url) + "'";
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    setError(error, quoted +
                        " is not a listener URL; write e.g. udp://192.0.2.10:5060, "
                        "tcp://192.0.2.10:5060 or udp://[2001:db8::1]:5060");
    return std::nullopt;
  }
  Listener listener;
  listener.text = std::string(url);
  const std::string_view scheme = url.substr(0, sep);
  const auto transport = parseTransportName(scheme);
  if (!transport) {
    setError(error, quoted + " has an unknown transport '" + std::string(scheme) +
                        "'; use udp://, tcp:// or tls://");
    return std::nullopt;
  }
  listener.transport = *transport;
  const std::string_view hostPort = url.substr(sep + 3);
  std::string_view host;
  std::string_view portText;
  bool hasPort = false;
  if (!hostPort.empty() && hostPort.front() == '[') {
    const size_t close = hostPort.find(']');
    if (close == std::string_view::npos) {
      setError(error, quoted + " has an IPv6 address without its closing ']'");
      return std::nullopt;
    }
    host = hostPort.substr(0, close + 1);
    const std::string_view rest = hostPort.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        setError(error, quoted +
                            " has unexpected text after the address; write e.g. "
                            "udp://[2001:db8::1]:5060");
        return std::nullopt;
      }
      hasPort = true;
      portText = rest.substr(1);
    }
  } else {
    const size_t colon = hostPort.find(':');
    if (colon != std::string_view::npos &&
        hostPort.find(':', colon + 1) != std::string_view::npos) {
      setError(error, quoted + " looks like a bare IPv6 address; put it in brackets, e.g. " +
                          std::string(scheme) + "://[::1]:5060");
      return std::nullopt;
    }
    host = hostPort.substr(0, colon);
    if (colon != std::string_view::npos) {
      hasPort = true;
      portText = hostPort.substr(colon + 1);
    }
  }
  auto address = base::Address::parse(host, 0);
  if (!address) {
    if (sip::isHostname(host)) {
      setError(error, quoted +
                          " names a host; listeners need an IP address of this machine "
                          "(e.g. 127.0.0.1, 192.0.2.10, [::1])");
    } else {
      setError(error, quoted + " has an invalid IP address '" + std::string(host) + "'");
    }
    return std::nullopt;
  }
  uint16_t port = 0;
  if (!hasPort) {
    setError(error, quoted + " has no port; add one, e.g. " + std::string(url) + ":5060");
    return std::nullopt;
  }
  if (!parsePort(portText, port)) {
    setError(error, quoted + " has an invalid port '" + std::string(portText) +
                        "'; use a number from 1 to 65535");
    return std::nullopt;
  }
  address->setPort(port);
  listener.address = *address;
  return listener;
}

}  // namespace tg::config
