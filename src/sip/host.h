#pragma once

// host / hostport grammar (RFC 3261 §25.1): hostname, IPv4address, IPv6reference.

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

// Classifies a host; kNone when it is none of the three forms.
HostType classifyHost(std::string_view host);

// Parses host[:port] with nothing around it.
Result<HostPort> parseHostPort(std::string_view text);

}  // namespace tg::sip
