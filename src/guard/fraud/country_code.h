#pragma once

// The E.164 country calling code of a number (ITU-T E.164 assignment: zone 1 and 7 are one
// digit, a fixed set of two-digit codes, three digits otherwise). The fraud detectors learn
// destinations by country, which the policy's classes are too coarse for.

#include <string_view>

namespace tg::guard::fraud {

// "+37259123456" or "37259123456" -> "372"; "" when `e164` has no digits.
std::string_view countryCodeOf(std::string_view e164);

}  // namespace tg::guard::fraud
