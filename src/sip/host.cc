#include "sip/host.h"

#include <arpa/inet.h>

#include <cstring>

#include "sip/scan.h"

namespace tg::sip {
namespace {

bool isIPv4(std::string_view s) {
  int octets = 0;
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    while (i < s.size() && isDigit(s[i])) ++i;
    if (i == start || i - start > 3) return false;
    if (!parseDecimal(s.substr(start, i - start), 255)) return false;
    ++octets;
    if (i == s.size()) break;
    if (s[i] != '.' || octets == 4) return false;
    ++i;
    if (i == s.size()) return false;
  }
  return octets == 4;
}

bool isIPv6Reference(std::string_view s) {
  if (s.size() < 4 || s.front() != '[' || s.back() != ']') return false;
  const std::string_view inner = s.substr(1, s.size() - 2);
  char buf[INET6_ADDRSTRLEN + 1];
  if (inner.size() >= sizeof(buf)) return false;
  std::memcpy(buf, inner.data(), inner.size());
  buf[inner.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET6, buf, addr) == 1;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; labels are alphanum with inner '-'.
// Underscores are tolerated: real deployments use them and they do no harm.
bool isHostname(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  if (s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return false;
  size_t labelStart = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      const std::string_view label = s.substr(labelStart, i - labelStart);
      if (label.empty() || label.front() == '-' || label.back() == '-') return false;
      labelStart = i + 1;
      continue;
    }
    if (!isAlnum(s[i]) && s[i] != '-' && s[i] != '_') return false;
  }
  return true;
}

}  // namespace

HostType classifyHost(std::string_view host) {
  if (host.empty()) return HostType::kNone;
  if (host.front() == '[') return isIPv6Reference(host) ? HostType::kIPv6 : HostType::kNone;
  if (isDigit(host.back()) && isIPv4(host)) return HostType::kIPv4;
  return isHostname(host) ? HostType::kDomain : HostType::kNone;
}

Result<HostPort> parseHostPort(std::string_view text) {
  HostPort hp;
  size_t hostEnd;
  if (!text.empty() && text.front() == '[') {
    hostEnd = text.find(']');
    if (hostEnd == std::string_view::npos) return Error{"unterminated IPv6 reference"};
    ++hostEnd;
  } else {
    hostEnd = text.find(':');
    if (hostEnd == std::string_view::npos) hostEnd = text.size();
  }
  hp.host = text.substr(0, hostEnd);
  hp.hostType = classifyHost(hp.host);
  if (hp.hostType == HostType::kNone) return Error{"malformed host"};
  if (hostEnd < text.size()) {
    if (text[hostEnd] != ':') return Error{"unexpected characters after host"};
    const std::string_view portText = text.substr(hostEnd + 1);
    if (portText.size() > 5) return Error{"port out of range"};
    auto port = parseDecimal(portText, 65535);
    if (!port) return Error{"malformed port"};
    hp.port = static_cast<uint16_t>(*port);
    hp.hasPort = true;
  }
  return hp;
}

}  // namespace tg::sip
