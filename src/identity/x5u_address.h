#pragma once

// The SSRF guard of the x5u fetch: a PASSporT names its own certificate URL, so a caller could
// make the gateway connect anywhere. Only public unicast addresses are fetched from.

#include <string_view>

#include "base/address.h"

namespace tg::identity {

// Empty when `address` is public unicast; otherwise what it is ("loopback", "private",
// "link-local", "unspecified", "multicast", "shared (CGNAT)", "unique local", "reserved").
std::string_view nonPublicKind(const base::Address& address);

}  // namespace tg::identity
