#include "guard/policy/numbering.h"

#include <algorithm>

namespace tg::guard::policy {
namespace {

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return !prefix.empty() && s.substr(0, prefix.size()) == prefix;
}

// E.164 allows at most 15 digits; fewer than 3 cannot name a country and a subscriber.
Number e164(std::string digits) {
  Number n;
  if (digits.size() < 3 || digits.size() > 15 || digits[0] == '0') return n;
  n.kind = Number::Kind::kE164;
  n.e164 = "+" + digits;
  return n;
}

}  // namespace

std::string stripSeparators(std::string_view dialled) {
  std::string out;
  out.reserve(dialled.size());
  for (const char c : dialled) {
    if (c == '-' || c == '.' || c == '(' || c == ')' || c == ' ') continue;
    out += c;
  }
  return out;
}

std::string e164Digits(std::string_view text) {
  std::string s = stripSeparators(text);
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  return allDigits(s) ? s : std::string();
}

Number normalise(std::string_view dialled, const config::NumberingPlan& plan) {
  const std::string s = stripSeparators(dialled);
  Number n;
  if (std::find(plan.emergency.begin(), plan.emergency.end(), s) != plan.emergency.end()) {
    n.kind = Number::Kind::kEmergency;
    return n;
  }
  if (!s.empty() && s[0] == '+') {
    const std::string_view rest = std::string_view(s).substr(1);
    return allDigits(rest) ? e164(std::string(rest)) : n;
  }
  if (!allDigits(s)) {
    // Feature codes such as *97 are the PBX's own business.
    if (!s.empty() && static_cast<int>(s.size()) <= plan.internalMaxLength) {
      n.kind = Number::Kind::kInternal;
    }
    return n;
  }
  const int length = static_cast<int>(s.size());
  // The international prefix first: AU's 0011 begins with its national prefix 0.
  if (startsWith(s, plan.internationalPrefix)) {
    return e164(s.substr(plan.internationalPrefix.size()));
  }
  if (startsWith(s, plan.nationalPrefix) &&
      length - static_cast<int>(plan.nationalPrefix.size()) > plan.internalMaxLength &&
      (plan.nationalLength == 0 ||
       length == plan.nationalLength + static_cast<int>(plan.nationalPrefix.size()))) {
    return e164(plan.countryCode + s.substr(plan.nationalPrefix.size()));
  }
  if (plan.nationalLength > 0 && length == plan.nationalLength) {
    return e164(plan.countryCode + s);
  }
  if (plan.localLength > 0 && length == plan.localLength && !plan.areaCode.empty()) {
    return e164(plan.countryCode + plan.areaCode + s);
  }
  if (length <= plan.internalMaxLength) {
    n.kind = Number::Kind::kInternal;
    return n;
  }
  return n;
}

}  // namespace tg::guard::policy
