#include "guard/fraud/country_code.h"

#include <algorithm>
#include <array>

namespace tg::guard::fraud {
namespace {

// The assigned two-digit codes (zones 2-9); every other code in those zones has three digits.
constexpr std::array<std::string_view, 44> kTwoDigit = {
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"};

}  // namespace

std::string_view countryCodeOf(std::string_view e164) {
  if (!e164.empty() && e164.front() == '+') e164.remove_prefix(1);
  if (e164.empty()) return {};
  if (e164.front() == '1' || e164.front() == '7') return e164.substr(0, 1);
  const std::string_view two = e164.substr(0, 2);
  const bool isTwo = std::find(kTwoDigit.begin(), kTwoDigit.end(), two) != kTwoDigit.end();
  return e164.substr(0, isTwo ? 2 : 3);
}

}  // namespace tg::guard::fraud
