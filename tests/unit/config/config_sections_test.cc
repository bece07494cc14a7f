// The table-driven loader: a section is its reader plus one row, and the YAML reader's
// unknown-key messages (the closest known key, or the list of known keys).

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config_test_util.h"

namespace tg::config {
namespace {

using detail::Loader;
using detail::MapReader;
using detail::Section;

constexpr const char* kMinimal = kMinimalConfig;

// What the test section read; Config has no field for it, which is the point: the row and the
// reader are all the loader needs to know about.
int metricsPort = 0;

void readMetrics(Loader& loader, const YAML::Node& node, int line, Config&) {
  MapReader m(loader, node, "metrics", line, {"port_min", "port_max"});
  if (!m.valid()) return;
  loader.setInt(m, "port_min", metricsPort, 1024, 65535);
}

std::vector<Section> withMetrics() {
  std::vector<Section> table(detail::sections().begin(), detail::sections().end());
  table.push_back({"metrics", readMetrics});
  return table;
}

LoadResult loadWith(const std::vector<Section>& table, const std::string& yaml) {
  return Loader("test.yaml", "").load(yaml, table);
}

TEST(ConfigSections, ANewRowIsAllASectionNeeds) {
  metricsPort = 0;
  const LoadResult r =
      loadWith(withMetrics(), std::string(kMinimal) + "metrics:\n  port_min: 20000\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(metricsPort, 20000);
}

TEST(ConfigSections, TheNewSectionReportsLikeTheOthers) {
  const LoadResult r = loadWith(
      withMetrics(), std::string(kMinimal) + "metrics:\n  port_min: 80\n  prot_max: 30000\n");
  EXPECT_TRUE(hasError(r, 12, "metrics.port_min",
                       "80 is out of range; use a whole number from "
                       "1024 to 65535"));
  EXPECT_TRUE(hasError(r, 13, "metrics", "unknown key 'prot_max'; did you mean 'port_max'?"));
}

TEST(ConfigSections, WithoutItsRowTheSectionIsAnUnknownKey) {
  const LoadResult r =
      loadConfigString(std::string(kMinimal) + "metrics:\n  port_min: 20000\n", "test.yaml");
  EXPECT_TRUE(hasError(r, 11, "",
                       "unknown key 'metrics'; known keys here: workers, pbx, trunk, public, "
                       "timers, health, b2bua, tcp, limits, log, database, guard, policy, "
                       "admission, tls, accounts, dns, fraud, media, admin"));
}

TEST(ConfigSections, ARequiredRowSaysWhatIsMissing) {
  const LoadResult r = loadConfigString("workers: 2\n", "test.yaml");
  EXPECT_TRUE(hasError(r, 1, "pbx", "missing; the pbx zone (listen, targets) is required"));
  EXPECT_TRUE(hasError(r, 1, "trunk", "missing; the trunk zone (listen, providers) is required"));
}

TEST(ConfigSections, EveryTopLevelKeyHasOneRow) {
  std::vector<std::string> keys;
  for (const Section& s : detail::sections()) {
    EXPECT_NE(s.read, nullptr) << s.key;
    keys.emplace_back(s.key);
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
}

TEST(UnknownKeyMessage, NamesTheClosestKey) {
  const std::vector<std::string_view> known = {"enabled", "enforce", "duration_s"};
  EXPECT_EQ(detail::unknownKeyMessage("enfroce", known),
            "unknown key 'enfroce'; did you mean 'enforce'?");  // a transposition is one edit
  EXPECT_EQ(detail::unknownKeyMessage("Enabled", known),
            "unknown key 'Enabled'; did you mean 'enabled'?");  // case does not count
  EXPECT_EQ(detail::unknownKeyMessage("duraton_s", known),
            "unknown key 'duraton_s'; did you mean 'duration_s'?");
}

TEST(UnknownKeyMessage, ListsTheKnownKeysWhenNothingIsClose) {
  EXPECT_EQ(detail::unknownKeyMessage("frobnicate", {"t1_ms", "t2_ms", "t4_ms"}),
            "unknown key 'frobnicate'; known keys here: t1_ms, t2_ms, t4_ms");
}

TEST(UnknownKeyMessage, ShortWordsAllowFewerEdits) {
  // Up to 4 letters one edit, up to 8 two, longer three.
  EXPECT_EQ(detail::closestName("tcq", {"tcp"}), std::optional<std::string_view>("tcp"));
  EXPECT_EQ(detail::closestName("tqq", {"tcp"}), std::nullopt);
  EXPECT_EQ(detail::closestName("wokrers", {"workers"}),
            std::optional<std::string_view>("workers"));
  EXPECT_EQ(detail::closestName("listen_on_all", {"listen"}), std::nullopt);
}

}  // namespace
}  // namespace tg::config
