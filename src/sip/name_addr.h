#pragma once

// name-addr / addr-spec with header parameters, as used by From, To, Contact, Route,
// Record-Route, P-Asserted-Identity, Refer-To... (RFC 3261 §20, §25.1).

#include <string_view>

#include "sip/params.h"
#include "sip/result.h"
#include "sip/uri.h"

namespace tg::sip {

struct NameAddr {
  std::string_view displayName;  // raw: quoted form keeps its quotes; empty when absent
  Uri uri;
  bool angleBrackets = false;  // written as name-addr (<...>) rather than a bare addr-spec
  ParamList params;            // header parameters after the URI, e.g. ";tag=abc;expires=60"

  std::string_view tag() const { return params.get(KnownParam::kTag); }
};

// Parses one element (no top-level commas). Without angle brackets the URI ends at the first
// ';' and everything after it is header parameters (RFC 3261 §20.10).
Result<NameAddr> parseNameAddr(std::string_view text);
// The same into existing storage: returns the error reason, empty on success.
std::string_view parseNameAddr(std::string_view text, NameAddr& out);

// The display name without quotes and with backslash escapes resolved.
std::string unquoteDisplayName(std::string_view raw);

}  // namespace tg::sip
