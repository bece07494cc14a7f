#include "sip/host.h"

#include <arpa/inet.h>

#include <cstring>

#include "sip/scan.h"

namespace tg::sip {
namespace {

inline constexpr CharTable kLabelChars("-", true);

}  // namespace

// IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each octet at most 255.
bool isIPv4Address(std::string_view s) {
  // Four groups of 1-3 digits, each <= 255, separated by single dots.
  const size_t n = s.size();
  size_t i = 0;
  for (int group = 0; group < 4; ++group) {
    if (group > 0) {
      if (i == n || s[i] != '.') return false;
      ++i;
    }
    const size_t start = i;
    unsigned value = 0;
    while (i < n && i - start < 3 && isDigit(s[i])) {
      value = value * 10 + static_cast<unsigned>(s[i++] - '0');
    }
    if (i == start || value > 255) return false;
  }
  return i == n;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; labels are alphanumerics with inner '-',
// and the top label starts with a letter (so that "1.2.3.256" is not a host name).
bool isHostname(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return false;
  // A label may neither be empty nor start or end with '-'.
  size_t pos = 0;
  for (;;) {
    const size_t end = skipWhile(s, pos, kLabelChars);
    if (end == pos || s[pos] == '-' || s[end - 1] == '-') return false;
    if (end == s.size()) return isAlpha(s[pos]);
    if (s[end] != '.') return false;
    pos = end + 1;
  }
}

// Parses the inside of an IPv6 reference. The copy is needed because inet_pton wants a C
// string; the longest textual IPv6 address is 45 characters.
bool parseIPv6(std::string_view s, in6_addr& out) {
  char buf[INET6_ADDRSTRLEN];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  for (char c : s) {
    if (!isHex(c) && c != ':' && c != '.') return false;
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return inet_pton(AF_INET6, buf, &out) == 1;
}

HostType classifyHost(std::string_view host) {
  if (host.empty()) return HostType::kNone;
  if (host.front() == '[') {
    in6_addr addr;
    return host.size() > 2 && host.back() == ']' && parseIPv6(host.substr(1, host.size() - 2), addr)
               ? HostType::kIPv6
               : HostType::kNone;
  }
  if (isDigit(host.back()) && isIPv4Address(host)) return HostType::kIPv4;
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
