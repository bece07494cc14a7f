#pragma once

// Destination classes: a shipped prefix table (shipped_classes.cc, documented with its sources
// in docs/policy.md) with the operator's overrides on top, matched longest prefix first.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/policy_config.h"
#include "guard/policy/digit_trie.h"

namespace tg::guard::policy {

// The class names rules and CDRs use.
namespace cls {
inline constexpr std::string_view kInternal = "internal";
inline constexpr std::string_view kEmergency = "emergency";
inline constexpr std::string_view kLocal = "local";
inline constexpr std::string_view kNational = "national";
inline constexpr std::string_view kMobile = "mobile";
inline constexpr std::string_view kTollFree = "toll-free";
inline constexpr std::string_view kPremium = "premium";
inline constexpr std::string_view kInternational = "international";
inline constexpr std::string_view kHighRisk = "high-risk";
inline constexpr std::string_view kSatellite = "satellite";
inline constexpr std::string_view kUnknown = "unknown";
}  // namespace cls

std::vector<std::string_view> classNames();
bool isClassName(std::string_view name);

struct ShippedPrefix {
  const char* prefix;  // E.164 digits
  const char* cls;
  const char* note;  // country or service, shown by explain
};
// The built-in table (shipped_classes.cc).
const std::vector<ShippedPrefix>& shippedPrefixes();

struct Classification {
  std::string_view cls;   // one of cls::*
  std::string prefix;     // the table prefix that decided ("" when none matched)
  std::string_view note;  // its note
};

class DestinationClasses {
 public:
  DestinationClasses();  // the shipped table only
  void override(std::string_view prefixDigits, std::string_view cls);
  size_t size() const { return trie_.size(); }

  // `e164` is "+digits". Classes that only make sense at home (national, mobile, toll-free,
  // premium, local) turn into international when the number is in another country; the
  // international, high-risk and satellite entries apply whoever calls (NANP Caribbean codes
  // share country code 1 with the US and Canada).
  Classification classify(std::string_view e164, const config::NumberingPlan& home) const;

 private:
  struct Entry {
    std::string prefix;
    std::string cls;
    std::string note;
  };
  std::vector<Entry> entries_;
  DigitTrie trie_;
};

}  // namespace tg::guard::policy
