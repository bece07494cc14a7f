// alerts.spend_per_hour / alerts.account_spend_per_hour (alerts_section.cc): positive amounts,
// errors with file:line and key.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "config/alerts_config.h"
#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

constexpr int kNextLine = 11;  // the first line after kMinimalConfig

LoadResult load(const std::string& alerts) {
  return loadConfigString(std::string(kMinimalConfig) + "alerts:\n" + alerts +
                              "  syslog: [ { udp: \"127.0.0.1:514\" } ]\n",
                          "test.yaml");
}

TEST(AlertsSpendConfig, AcceptsPositiveAmounts) {
  const LoadResult r = load("  spend_per_hour: 25\n  account_spend_per_hour: 7.50\n");
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(load("").ok());  // both optional
}

TEST(AlertsSpendConfig, RefusesZeroNegativeAndText) {
  for (const char* bad : {"0", "-3", "\"25\"", "lots", "[1]", ".nan"}) {
    const LoadResult r = load(std::string("  spend_per_hour: ") + bad + "\n");
    ASSERT_EQ(r.errors.size(), 1u) << bad << "\n" << dump(r);
    EXPECT_EQ(r.errors[0].file, "test.yaml");
    EXPECT_EQ(r.errors[0].line, kNextLine + 1) << bad;
    EXPECT_EQ(r.errors[0].keyPath, "alerts.spend_per_hour") << bad;
    EXPECT_NE(r.errors[0].message.find("amount > 0"), std::string::npos) << r.errors[0].message;
  }
  const LoadResult r = load("  account_spend_per_hour: 0\n");
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].keyPath, "alerts.account_spend_per_hour");
}

TEST(AlertsSpendConfig, DefaultEventsIncludeTheSpendRules) {
  const AlertSettings defaults;
  EXPECT_NE(std::find(defaults.events.begin(), defaults.events.end(), "spend.*"),
            defaults.events.end());
  EXPECT_FALSE(defaults.spendPerHour);
  EXPECT_FALSE(defaults.accountSpendPerHour);
}

}  // namespace
}  // namespace tg::config
