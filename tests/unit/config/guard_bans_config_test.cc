// guard.bans and guard.events (guard_section.cc).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

using namespace std::chrono_literals;

constexpr const char* kBase = kMinimalConfig;
constexpr int kGuardLine = 11;  // "guard:" is the line after kBase

LoadResult load(const std::string& guard) {
  return loadConfigString(std::string(kBase) + guard, "test.yaml");
}

TEST(GuardBansConfig, DefaultsWhenAbsent) {
  const LoadResult r = load("");
  ASSERT_TRUE(r.ok()) << dump(r);
  const BanSettings& b = r.config->guard.bans;
  EXPECT_TRUE(b.enabled);
  EXPECT_EQ(b.duration, 600s);
  EXPECT_EQ(b.factor, 2.0);
  EXPECT_EQ(b.maxDuration, 604800s);
  EXPECT_EQ(b.forgetAfter, 2592000s);
  EXPECT_TRUE(b.blocklistFiles.empty());
  EXPECT_TRUE(b.blocklistUrl.empty());
  EXPECT_EQ(r.config->guard.events.sampleBytes, 256u);
  EXPECT_EQ(r.config->guard.events.repeatInterval, 60s);
  EXPECT_EQ(r.config->guard.events.retention, std::chrono::hours(24 * 30));
}

TEST(GuardBansConfig, EveryKeyIsRead) {
  const LoadResult r = load(R"(guard:
  bans:
    enabled: false
    duration_s: 300
    factor: 1.5
    max_duration_s: 86400
    forget_after_s: 604800
    blocklist_files: [ "/etc/trunkguard/apiban.json", "local.txt" ]
    blocklist_interval_s: 900
  events:
    sample_bytes: 512
    repeat_interval_s: 10
    retention_days: 7
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const BanSettings& b = r.config->guard.bans;
  EXPECT_FALSE(b.enabled);
  EXPECT_EQ(b.duration, 300s);
  EXPECT_EQ(b.factor, 1.5);
  EXPECT_EQ(b.maxDuration, 86400s);
  EXPECT_EQ(b.forgetAfter, 604800s);
  // loadConfigString has no directory: relative paths stay as written.
  EXPECT_EQ(b.blocklistFiles,
            (std::vector<std::string>{"/etc/trunkguard/apiban.json", "local.txt"}));
  EXPECT_EQ(b.blocklistInterval, 900s);
  EXPECT_EQ(r.config->guard.events.sampleBytes, 512u);
  EXPECT_EQ(r.config->guard.events.repeatInterval, 10s);
  EXPECT_EQ(r.config->guard.events.retention, std::chrono::hours(24 * 7));
}

TEST(GuardBansConfig, BadValuesNameTheKeyAndLine) {
  const LoadResult r = load(R"(guard:
  bans:
    duration_s: 0
    factor: 0.5
    max_duration_s: "long"
    forget_after_s: -1
  events:
    sample_bytes: 1000000
    retention_days: 0
)");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(hasError(r, kGuardLine + 2, "guard.bans.duration_s", "")) << dump(r);
  EXPECT_TRUE(hasError(r, kGuardLine + 3, "guard.bans.factor", "out of range")) << dump(r);
  EXPECT_TRUE(hasError(r, kGuardLine + 4, "guard.bans.max_duration_s", "")) << dump(r);
  EXPECT_TRUE(hasError(r, kGuardLine + 5, "guard.bans.forget_after_s", "")) << dump(r);
  EXPECT_TRUE(hasError(r, kGuardLine + 7, "guard.events.sample_bytes", "")) << dump(r);
  EXPECT_TRUE(hasError(r, kGuardLine + 8, "guard.events.retention_days", "")) << dump(r);
}

TEST(GuardBansConfig, CapShorterThanFirstBanIsAnError) {
  const LoadResult r = load(R"(guard:
  bans:
    duration_s: 3600
    max_duration_s: 600
)");
  EXPECT_TRUE(hasError(r, kGuardLine + 3, "guard.bans.max_duration_s", "shorter")) << dump(r);
}

TEST(GuardBansConfig, UnknownKeySuggestsTheRightOne) {
  const LoadResult r = load(R"(guard:
  bans:
    duration: 60
  events:
    sample_byte: 10
)");
  EXPECT_FALSE(r.ok());
  std::string all = dump(r);
  EXPECT_NE(all.find("duration_s"), std::string::npos) << all;
  EXPECT_NE(all.find("sample_bytes"), std::string::npos) << all;
}

TEST(GuardBansConfig, BlocklistUrlIsValidated) {
  LoadResult r = load(R"(guard:
  bans:
    blocklist_url: "ftp://example.com/list"
)");
  EXPECT_TRUE(hasError(r, kGuardLine + 2, "guard.bans.blocklist_url", "http")) << dump(r);
  r = load(R"(guard:
  bans:
    blocklist_url: "https://apiban.org/api/KEY/banned"
    blocklist_interval_s: 1
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->guard.bans.blocklistUrl, "https://apiban.org/api/KEY/banned");
  EXPECT_EQ(r.config->guard.bans.blocklistInterval, 1s);
  // The URL is pulled now: no "not fetched" warning any more.
  for (const auto& w : r.warnings) EXPECT_EQ(w.find("blocklist_url"), std::string::npos) << w;
  r = load(R"(guard:
  bans:
    blocklist_url: "http://127.0.0.1:8080/list.txt"
    blocklist_interval_s: 0
)");
  EXPECT_TRUE(hasError(r, kGuardLine + 3, "guard.bans.blocklist_interval_s", "")) << dump(r);
}

TEST(GuardBansConfig, RelativeBlocklistFilesAreRelativeToTheConfigFile) {
  const std::string dir = ::testing::TempDir() + "tg-guard-bans-config";
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/gw.yaml";
  {
    std::ofstream out(file);
    out << kBase << "guard:\n  bans:\n    blocklist_files: [ feeds/a.txt ]\n";
  }
  const LoadResult r = loadConfigFile(file);
  ASSERT_TRUE(r.ok()) << dump(r);
  ASSERT_EQ(r.config->guard.bans.blocklistFiles.size(), 1u);
  EXPECT_EQ(r.config->guard.bans.blocklistFiles[0], dir + "/feeds/a.txt");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tg::config
