// The `admission:` section (admission_section.cc): each admission filter's switches.

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

LoadResult load(const std::string& section) {
  return loadConfigString(std::string(kMinimalConfig) + section, "test.yaml");
}

TEST(AdmissionConfig, EveryFilterIsOnAndEnforcingByDefault) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  for (const std::string_view name : kAdmissionFilters) {
    const FilterSwitches s = r.config->admission.switchesFor(name);
    EXPECT_TRUE(s.enabled && s.enforce) << name;
  }
}

TEST(AdmissionConfig, SwitchesAreReadPerFilter) {
  const LoadResult r = load(R"(admission:
  request_checks: { enforce: false }
  numbers: { enabled: false }
  sips_route: { enabled: true, enforce: true }
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const AdmissionSettings& a = r.config->admission;
  EXPECT_TRUE(a.switchesFor("request_checks").enabled);
  EXPECT_FALSE(a.switchesFor("request_checks").enforce);
  EXPECT_FALSE(a.switchesFor("numbers").enabled);
  EXPECT_TRUE(a.switchesFor("sips_route").enforce);
  EXPECT_TRUE(a.switchesFor("phone_auth").enabled);
  EXPECT_FALSE(hasWarning(r, "not authenticated")) << dump(r);
}

TEST(AdmissionConfig, UnknownFiltersAndKeysAreRefused) {
  const LoadResult r = load(R"(admission:
  request_check: { enabled: false }
  numbers: { enabled: false, shadow: true }
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, 12, "admission", "did you mean 'request_checks'"));
  EXPECT_TRUE(hasError(r, 13, "admission.numbers", "unknown key 'shadow'"));
}

TEST(AdmissionConfig, TheCallPolicyIsSwitchedUnderPolicyNotHere) {
  const LoadResult r = load(R"(admission:
  call_policy: { enabled: false }
)");
  EXPECT_FALSE(r.ok()) << "policy.enabled is the call policy's switch";
}

TEST(AdmissionConfig, PhonesWithoutAuthenticationAreWarnedAbout) {
  const LoadResult r = load(R"(admission:
  phone_auth: { enforce: false }
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(hasWarning(r, "not authenticated")) << dump(r);
}

}  // namespace
}  // namespace tg::config
