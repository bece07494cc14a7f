#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/address.h"

namespace tg::config {

// An IPv4 or IPv6 network, e.g. 192.0.2.0/24 or 2001:db8::/32 (a bare address is /32 or /128).
struct Cidr {
  base::Address network;  // port unused
  uint8_t prefixLength = 0;
  std::string text;  // normalized, e.g. "192.0.2.0/24", "::1/128"
  // IPv4 networks also match IPv4-mapped IPv6 addresses (::ffff:a.b.c.d). The port is ignored.
  bool contains(const base::Address& a) const;

  // "10.0.0.0/8", "2001:db8::/32" or a bare address. Host bits set is an error that names the
  // network meant. On failure returns nullopt and says why in *error.
  static std::optional<Cidr> parse(std::string_view text, std::string* error = nullptr);
  // The /32 or /128 holding exactly `a`.
  static Cidr single(const base::Address& a);
};

}  // namespace tg::config
