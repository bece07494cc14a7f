#pragma once

// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), parsed as views into the message text.
// Other schemes are accepted syntactically (absoluteURI) so that a caller can answer 416.

#include <cstdint>
#include <string>
#include <string_view>

#include "sip/params.h"
#include "sip/result.h"

namespace tg::sip {

enum class UriScheme : uint8_t { kSip, kSips, kTel, kOther };
enum class HostType : uint8_t { kNone, kDomain, kIPv4, kIPv6 };

struct Uri {
  UriScheme scheme = UriScheme::kOther;
  std::string_view schemeText;  // as written, e.g. "SIP"
  std::string_view user;        // raw (may hold %-escapes); for tel: the number
  std::string_view password;    // raw; empty when absent
  bool hasUser = false;
  bool hasPassword = false;
  std::string_view host;  // for IPv6 the reference with its brackets, e.g. "[::1]"
  HostType hostType = HostType::kNone;
  uint16_t port = 0;
  bool hasPort = false;
  ParamList params;          // ";transport=tcp;lr" (for tel: ";phone-context=...")
  std::string_view headers;  // raw text after '?', without the '?'; empty when absent
  std::string_view text;     // the whole URI as written
  std::string_view opaque;   // kOther: everything after "scheme:"

  bool isSipOrSips() const { return scheme == UriScheme::kSip || scheme == UriScheme::kSips; }
  // Host without IPv6 brackets, for address parsing.
  std::string_view hostAddress() const;
};

// Parses a URI with no surrounding white space or angle brackets.
Result<Uri> parseUri(std::string_view text);
// The same into existing storage: returns the error reason, empty on success.
std::string_view parseUri(std::string_view text, Uri& out);

// RFC 3261 §19.1.4 comparison for sip/sips URIs (and a textual comparison for the rest):
// escapes decoded, user and password case-sensitive, host case-insensitive, parameters
// compared as the RFC says (user/ttl/method/maddr/transport must match when present in either,
// other parameters only when present in both), headers must all match.
bool uriEquivalent(const Uri& a, const Uri& b);

// Decodes %XX escapes. Returns false (and leaves out unchanged) on a malformed escape.
bool unescape(std::string_view in, std::string& out);

}  // namespace tg::sip
