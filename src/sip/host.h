#pragma once

// host / hostport grammar (RFC 3261 §25.1): hostname, IPv4address, IPv6reference.

#include <netinet/in.h>

#include <cstdint>
#include <string_view>

#include "sip/result.h"
#include "sip/uri.h"

namespace tg::sip {

struct HostPort {
  std::string_view host;  // IPv6 keeps its brackets
  HostType hostType = HostType::kNone;
  uint16_t port = 0;
  bool hasPort = false;
};

// IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each octet at most 255.
bool isIPv4Address(std::string_view s);
// hostname per RFC 3261 §25.1: the top label starts with a letter, so "1.2.3.256" is none.
bool isHostname(std::string_view s);
// The inside of an IPv6 reference (no brackets).
bool parseIPv6(std::string_view s, in6_addr& out);

// Classifies a host; kNone when it is none of the three forms.
HostType classifyHost(std::string_view host);

// Parses host[:port] with nothing around it.
Result<HostPort> parseHostPort(std::string_view text);

}  // namespace tg::sip
