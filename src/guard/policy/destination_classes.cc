#include "guard/policy/destination_classes.h"

#include <algorithm>

namespace tg::guard::policy {
namespace {

bool domesticOnly(std::string_view c) {
  return c == cls::kNational || c == cls::kMobile || c == cls::kTollFree || c == cls::kPremium ||
         c == cls::kLocal;
}

// Class names are interned to these static views so Classification never dangles.
std::string_view canonical(std::string_view c) {
  for (std::string_view n : classNames()) {
    if (n == c) return n;
  }
  return cls::kUnknown;
}

}  // namespace

std::vector<std::string_view> classNames() {
  return {cls::kInternal, cls::kEmergency, cls::kLocal,   cls::kNational,
          cls::kMobile,   cls::kTollFree,  cls::kPremium, cls::kInternational,
          cls::kHighRisk, cls::kSatellite, cls::kUnknown};
}

bool isClassName(std::string_view name) {
  const auto names = classNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

DestinationClasses::DestinationClasses() {
  for (const ShippedPrefix& p : shippedPrefixes()) {
    trie_.insert(p.prefix, static_cast<uint32_t>(entries_.size()));
    entries_.push_back({p.prefix, p.cls, p.note});
  }
}

void DestinationClasses::override(std::string_view prefixDigits, std::string_view c) {
  trie_.insert(prefixDigits, static_cast<uint32_t>(entries_.size()));
  entries_.push_back({std::string(prefixDigits), std::string(c), "override"});
}

Classification DestinationClasses::classify(std::string_view e164,
                                            const config::NumberingPlan& home) const {
  const std::string_view digits = e164.substr(!e164.empty() && e164[0] == '+' ? 1 : 0);
  const bool atHome =
      !home.countryCode.empty() && digits.substr(0, home.countryCode.size()) == home.countryCode;
  Classification out;
  const DigitTrie::Match m = trie_.longest(digits);
  std::string_view c = atHome ? cls::kNational : cls::kInternational;
  if (m.found()) {
    const Entry& e = entries_[m.value];
    out.prefix = e.prefix;
    out.note = e.note;
    c = canonical(e.cls);
    if (domesticOnly(c) && !atHome) c = cls::kInternational;
  }
  if (c == cls::kNational && atHome && !home.areaCode.empty() &&
      digits.substr(home.countryCode.size(), home.areaCode.size()) == home.areaCode) {
    c = cls::kLocal;
  }
  out.cls = c;
  return out;
}

}  // namespace tg::guard::policy
