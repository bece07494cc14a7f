#pragma once

// Telephone numbers in the canonical form PASSporT compares (RFC 8224 §8.3): digits only,
// international, no '+' and no visual separators.

#include <optional>
#include <string>
#include <string_view>

#include "sip/uri.h"

namespace tg::identity {

// "+1 (215) 555-1212" -> "12155551212". A number written without '+' is national unless it
// already starts with `countryCode` and is longer than a national number (11 digits or more):
// a national number loses one leading trunk '0' and gets `countryCode` in front ("2155551212",
// "1" -> "12155551212"). nullopt when it holds anything but digits and separators, or fewer
// than 3 or more than 15 digits (E.164's maximum).
std::optional<std::string> canonicalTn(std::string_view number, std::string_view countryCode);

// The number a URI names: a tel URI's number, or a sip/sips user part (user parameters after
// ';' dropped, a leading %2B read as '+'); nullopt when it is not a telephone number.
std::optional<std::string> uriTn(const sip::Uri& uri, std::string_view countryCode);

}  // namespace tg::identity
