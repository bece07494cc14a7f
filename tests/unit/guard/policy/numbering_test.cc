#include "guard/policy/numbering.h"

#include <gtest/gtest.h>

#include "config/policy_config.h"

namespace tg::guard::policy {
namespace {

std::string e164(const char* country, const char* dialled) {
  const Number n = normalise(dialled, *config::numberingPreset(country));
  return n.kind == Number::Kind::kE164 ? n.e164 : "-";
}

Number::Kind kind(const char* country, const char* dialled) {
  return normalise(dialled, *config::numberingPreset(country)).kind;
}

TEST(Numbering, UnitedStates) {
  EXPECT_EQ(e164("US", "011447700900123"), "+447700900123");
  EXPECT_EQ(e164("US", "12125551234"), "+12125551234");
  EXPECT_EQ(e164("US", "2125551234"), "+12125551234");
  EXPECT_EQ(e164("US", "1-800-555-1234"), "+18005551234");
  EXPECT_EQ(e164("US", "+1 (212) 555-1234"), "+12125551234");
  EXPECT_EQ(kind("US", "911"), Number::Kind::kEmergency);
  EXPECT_EQ(kind("US", "201"), Number::Kind::kInternal);
  EXPECT_EQ(kind("US", "555123"), Number::Kind::kUnknown);  // 6 digits, no area code set
}

TEST(Numbering, LocalNumbersTakeTheAreaCode) {
  config::NumberingPlan p = *config::numberingPreset("US");
  p.areaCode = "212";
  p.localLength = 7;
  EXPECT_EQ(normalise("5551234", p).e164, "+12125551234");
}

TEST(Numbering, UnitedKingdom) {
  EXPECT_EQ(e164("GB", "07700900123"), "+447700900123");
  EXPECT_EQ(e164("UK", "02079460000"), "+442079460000");
  EXPECT_EQ(e164("GB", "0012125551234"), "+12125551234");
  EXPECT_EQ(kind("GB", "999"), Number::Kind::kEmergency);
  EXPECT_EQ(kind("GB", "112"), Number::Kind::kEmergency);
}

TEST(Numbering, Germany) {
  EXPECT_EQ(e164("DE", "030123456"), "+4930123456");
  EXPECT_EQ(e164("DE", "01701234567"), "+491701234567");
  EXPECT_EQ(e164("DE", "0033612345678"), "+33612345678");
  EXPECT_EQ(kind("DE", "110"), Number::Kind::kEmergency);
}

TEST(Numbering, France) {
  EXPECT_EQ(e164("FR", "0612345678"), "+33612345678");
  EXPECT_EQ(e164("FR", "00442079460000"), "+442079460000");
  EXPECT_EQ(kind("FR", "15"), Number::Kind::kEmergency);
  EXPECT_EQ(kind("FR", "18"), Number::Kind::kEmergency);
}

TEST(Numbering, AustraliaInternationalPrefixStartsWithTheNationalOne) {
  EXPECT_EQ(e164("AU", "0011442079460000"), "+442079460000");
  EXPECT_EQ(e164("AU", "0412345678"), "+61412345678");
  EXPECT_EQ(e164("AU", "0292345678"), "+61292345678");
  EXPECT_EQ(kind("AU", "000"), Number::Kind::kEmergency);
}

TEST(Numbering, RejectsWhatIsNotANumber) {
  EXPECT_EQ(kind("US", "011abc"), Number::Kind::kUnknown);
  EXPECT_EQ(kind("US", "+0123"), Number::Kind::kUnknown);
  EXPECT_EQ(kind("US", "+1234567890123456"), Number::Kind::kUnknown);  // 16 digits
  EXPECT_EQ(kind("US", "*97"), Number::Kind::kInternal);
}

}  // namespace
}  // namespace tg::guard::policy
