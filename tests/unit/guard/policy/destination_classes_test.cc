#include "guard/policy/destination_classes.h"

#include <gtest/gtest.h>

#include "guard/policy/digit_trie.h"

namespace tg::guard::policy {
namespace {

std::string classOf(const char* home, const char* e164) {
  static const DestinationClasses classes;
  return std::string(classes.classify(e164, *config::numberingPreset(home)).cls);
}

TEST(DestinationClasses, NanpCaribbeanLooksDomesticButIsInternational) {
  for (const char* n : {"+18765551234", "+18095551234", "+18295551234", "+18495551234",
                        "+12685551234", "+12845551234", "+14735551234", "+16495551234",
                        "+16645551234", "+17675551234", "+12425551234"}) {
    EXPECT_EQ(classOf("US", n), "international") << n;
  }
}

TEST(DestinationClasses, UsTerritoriesAreDomestic) {
  for (const char* n : {"+13405551234", "+16705551234", "+16715551234", "+16845551234",
                        "+17875551234", "+19395551234"}) {
    EXPECT_EQ(classOf("US", n), "national") << n;
  }
  EXPECT_EQ(classOf("US", "+12125551234"), "national");
  EXPECT_EQ(classOf("US", "+18005551234"), "toll-free");
  EXPECT_EQ(classOf("US", "+19005551234"), "premium");
}

TEST(DestinationClasses, SatelliteAndHighRiskApplyToEveryone) {
  EXPECT_EQ(classOf("US", "+870773111111"), "satellite");
  EXPECT_EQ(classOf("GB", "+881631111111"), "satellite");
  EXPECT_EQ(classOf("DE", "+88234111111"), "satellite");
  EXPECT_EQ(classOf("FR", "+883510001111"), "satellite");
  EXPECT_EQ(classOf("US", "+6745551234"), "high-risk");
}

TEST(DestinationClasses, HomeClassesBecomeInternationalAbroad) {
  EXPECT_EQ(classOf("GB", "+447700900123"), "mobile");
  EXPECT_EQ(classOf("GB", "+447012345678"), "premium");  // 070 beats 07 (longest prefix)
  EXPECT_EQ(classOf("GB", "+447624123456"), "mobile");   // 07624 beats 076
  EXPECT_EQ(classOf("GB", "+449012345678"), "premium");
  EXPECT_EQ(classOf("US", "+447700900123"), "international");
  EXPECT_EQ(classOf("DE", "+4990012345"), "premium");
  EXPECT_EQ(classOf("FR", "+33612345678"), "mobile");
  EXPECT_EQ(classOf("AU", "+61412345678"), "mobile");
  EXPECT_EQ(classOf("AU", "+611800123456"), "toll-free");
}

TEST(DestinationClasses, LocalByAreaCode) {
  config::NumberingPlan p = *config::numberingPreset("US");
  p.areaCode = "212";
  const DestinationClasses classes;
  EXPECT_EQ(classes.classify("+12125551234", p).cls, cls::kLocal);
  EXPECT_EQ(classes.classify("+13125551234", p).cls, cls::kNational);
}

TEST(DestinationClasses, OverridesWin) {
  DestinationClasses classes;
  classes.override("1876", "high-risk");
  classes.override("4420", "premium");
  const auto& us = *config::numberingPreset("US");
  EXPECT_EQ(classes.classify("+18765551234", us).cls, cls::kHighRisk);
  EXPECT_EQ(classes.classify("+442079460000", *config::numberingPreset("GB")).cls, cls::kPremium);
}

TEST(DigitTrie, LongestPrefixOverTenThousandPrefixes) {
  DigitTrie t;
  for (uint32_t i = 0; i < 10000; ++i) t.insert(std::to_string(100000 + i * 7), i);
  t.insert("1", 99999);
  EXPECT_EQ(t.size(), 10001u);
  EXPECT_EQ(t.longest("100007555").value, 1u);
  EXPECT_EQ(t.longest("100007555").length, 6u);
  EXPECT_EQ(t.longest("100008").value, 99999u);  // falls back to "1"
  EXPECT_FALSE(t.longest("2").found());
}

}  // namespace
}  // namespace tg::guard::policy
