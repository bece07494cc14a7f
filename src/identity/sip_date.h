#pragma once

// The SIP Date header (RFC 3261 §20.17: rfc1123-date, always GMT) as seconds since the epoch.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tg::identity {

// "Sat, 13 Nov 2010 23:29:00 GMT" -> 1289690940; nullopt for anything else.
std::optional<int64_t> parseSipDate(std::string_view text);

}  // namespace tg::identity
