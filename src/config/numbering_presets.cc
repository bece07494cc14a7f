// The built-in numbering plans of the call policy (policy_config.h): one per country, chosen
// with policy.numbering.<zone>.country and overridden key by key in the policy section.

#include <cctype>
#include <string>
#include <vector>

#include "config/policy_config.h"

namespace tg::config {
namespace {

NumberingPlan plan(const char* iso, const char* cc, const char* intl, const char* national,
                   int nationalLength, std::vector<std::string> emergency) {
  NumberingPlan p;
  p.country = iso;
  p.countryCode = cc;
  p.internationalPrefix = intl;
  p.nationalPrefix = national;
  p.nationalLength = nationalLength;
  p.emergency = std::move(emergency);
  return p;
}

struct Preset {
  std::string_view name;
  NumberingPlan plan;
};

const std::vector<Preset>& presets() {
  // Emergency numbers: ITU-T E.161.1 / national regulators; 112 wherever it is mandated.
  static const std::vector<Preset> all = {
      {"US", plan("US", "1", "011", "1", 10, {"911", "933"})},
      {"CA", plan("CA", "1", "011", "1", 10, {"911"})},
      {"GB", plan("GB", "44", "00", "0", 0, {"999", "112"})},
      {"IE", plan("IE", "353", "00", "0", 0, {"999", "112"})},
      {"DE", plan("DE", "49", "00", "0", 0, {"110", "112"})},
      {"AT", plan("AT", "43", "00", "0", 0, {"112", "122", "133", "144"})},
      {"CH", plan("CH", "41", "00", "0", 0, {"112", "117", "118", "144"})},
      {"NL", plan("NL", "31", "00", "0", 0, {"112"})},
      {"BE", plan("BE", "32", "00", "0", 0, {"112", "100", "101"})},
      {"FR", plan("FR", "33", "00", "0", 0,
                  {"15", "17", "18", "112", "114", "115", "119", "191", "196", "197"})},
      {"AU", plan("AU", "61", "0011", "0", 0, {"000", "112", "106"})},
      {"NZ", plan("NZ", "64", "00", "0", 0, {"111"})},
  };
  return all;
}

}  // namespace

const NumberingPlan* numberingPreset(std::string_view country) {
  std::string name(country);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (name == "UK") name = "GB";
  for (const Preset& p : presets()) {
    if (p.name == name) return &p.plan;
  }
  return nullptr;
}

std::vector<std::string_view> numberingPresetNames() {
  std::vector<std::string_view> out;
  for (const Preset& p : presets()) out.push_back(p.name);
  return out;
}

}  // namespace tg::config
