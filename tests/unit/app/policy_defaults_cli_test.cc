// check-config and explain on configs that leave the toll-fraud policy at its safe defaults, or
// turn it off (issue 12, items 7 and 8).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/check_config.h"
#include "app/explain_command.h"

namespace tg::app {
namespace {

constexpr const char* kZones = R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - { name: carrier-a, host: 192.0.2.1, transport: udp, allow_plaintext: true }
database: { path: ":memory:" }
)";

class PolicyDefaultsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-pol-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& policy) {
    const std::string path = (dir_ / "gw.yaml").string();
    std::ofstream(path) << kZones << policy;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(PolicyDefaultsCli, CheckConfigSaysTheDefaultsApplyAndWhatToAdd) {
  std::ostringstream out, err;
  ASSERT_EQ(runCheckConfig(write(""), out, err), 0) << err.str();
  EXPECT_NE(out.str().find("policy: not given: the built-in defaults apply"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("action: allow }] to allow it"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("CALLER-ID NOT CHECKED"), std::string::npos) << out.str();
}

TEST_F(PolicyDefaultsCli, CheckConfigWarnsWhenThePolicyIsOff) {
  std::ostringstream out, err;
  ASSERT_EQ(runCheckConfig(write("policy: { enabled: false }\n"), out, err), 0) << err.str();
  EXPECT_NE(out.str().find("policy.enabled: false: the toll-fraud policy is OFF"),
            std::string::npos)
      << out.str();
}

TEST_F(PolicyDefaultsCli, CheckConfigIsQuietAboutCallerIdOnceOwnNumbersExist) {
  std::ostringstream out, err;
  ASSERT_EQ(runCheckConfig(write("policy: { own_numbers: [\"+1212555*\"] }\n"), out, err), 0)
      << err.str();
  EXPECT_EQ(out.str().find("CALLER-ID NOT CHECKED"), std::string::npos) << out.str();
}

TEST_F(PolicyDefaultsCli, ExplainNamesTheDefaultRuleThatDecided) {
  ExplainOptions o;
  o.config = write("");
  o.account = "201";
  o.to = "011447700900123";
  o.at = "2026-06-10 12:00";
  std::ostringstream out, err;
  EXPECT_EQ(runExplain(o, out, err), 1) << err.str();
  EXPECT_NE(out.str().find("* rule default:deny-international"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("decision REJECT 403 International Calls Not Allowed (rule "
                           "default:deny-international)"),
            std::string::npos)
      << out.str();
  o.to = "19005551234";
  out.str("");
  EXPECT_EQ(runExplain(o, out, err), 1);
  EXPECT_NE(out.str().find("(rule default:deny-premium)"), std::string::npos) << out.str();
  o.to = "12125551234";
  out.str("");
  EXPECT_EQ(runExplain(o, out, err), 0);
  EXPECT_NE(out.str().find("decision ALLOW by default:allow-domestic"), std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace tg::app
