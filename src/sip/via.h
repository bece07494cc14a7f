#pragma once

// Via header elements (RFC 3261 §20.42, §18.2.2; RFC 3581 rport).

#include <cstdint>
#include <string_view>

#include "sip/params.h"
#include "sip/result.h"
#include "sip/uri.h"

namespace tg::sip {

// RFC 3261 transactions are identified by branches that start with this cookie.
inline constexpr std::string_view kBranchMagicCookie = "z9hG4bK";

struct Via {
  std::string_view protocolName;     // "SIP"
  std::string_view protocolVersion;  // "2.0"
  std::string_view transport;        // "UDP", "TCP", "TLS", "SCTP", "WS", or an extension token
  std::string_view host;             // sent-by host; IPv6 keeps its brackets
  HostType hostType = HostType::kNone;
  uint16_t port = 0;
  bool hasPort = false;
  ParamList params;

  std::string_view branch() const { return params.get(KnownParam::kBranch); }
  std::string_view received() const { return params.get(KnownParam::kReceived); }
  std::string_view maddr() const { return params.get(KnownParam::kMaddr); }
  bool hasRport() const { return params.has(KnownParam::kRport); }
  // The RFC 3261 magic cookie: absent means an RFC 2543 peer (match transactions the old way).
  bool hasMagicCookie() const;
};

// Parses one via-parm: sent-protocol LWS sent-by *( SEMI via-params ). LWS around '/' is
// allowed (RFC 4475 wsinv).
Result<Via> parseVia(std::string_view element);
// The same into existing storage: returns the error reason, empty on success.
std::string_view parseVia(std::string_view element, Via& out);

}  // namespace tg::sip
