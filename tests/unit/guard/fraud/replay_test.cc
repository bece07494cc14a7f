// `trunkguard replay`'s engine: the trace reader's errors name line and column, and a replay
// of a small labelled trace counts what the policy and the detectors let through.

#include "guard/fraud/replay.h"

#include <gtest/gtest.h>

#include <sstream>

#include "../../config/config_test_util.h"
#include "config/config_loader.h"

namespace tg::guard::fraud {
namespace {

// The minimal configuration (config_test_util.h) with international calls allowed.
const std::string kConfig = std::string(config::kMinimalConfig) + R"(policy:
  numbering: { pbx: { country: US }, trunk: { country: US } }
  rules:
    - { name: intl, classes: [international], action: allow }
)";

constexpr const char* kHeader =
    "start,zone,source,account,from,to,answer_after_s,duration_s,ring_s,label\n";

Trace read(const std::string& text) {
  std::istringstream in(text);
  return readTrace(in, "t.csv");
}

ReplayReport runWith(const std::string& configText, const std::string& csv) {
  const config::LoadResult loaded = config::loadConfigString(configText, "test.yaml");
  EXPECT_TRUE(loaded.ok());
  const Trace trace = read(csv);
  EXPECT_TRUE(trace.ok()) << trace.error;
  std::string error;
  auto report = replay(*loaded.config, trace, &error);
  EXPECT_TRUE(report.has_value()) << error;
  return report.value_or(ReplayReport{});
}

ReplayReport run(const std::string& csv, const std::string& extra = "") {
  return runWith(kConfig + extra, csv);
}

std::string pumping(int calls) {
  std::string csv = kHeader;
  for (int i = 0; i < calls; ++i) {
    csv += "2026-03-02T09:02:" + std::to_string(10 + i * 4) +
           "Z,pbx,10.0.0.1,1007,12125550100,01137120912" + std::to_string(100 + i) +
           ",2,1800,,irsf\n";
  }
  return csv;
}

TEST(TraceTest, ErrorsNameTheLineAndTheColumn) {
  EXPECT_NE(read("").error.find("empty"), std::string::npos);
  EXPECT_NE(read("start,zone\n").error.find("t.csv:1: the header has no column 'source'"),
            std::string::npos);
  Trace t = read(std::string(kHeader) + "2026-03-02T09:00:00Z,pbx,1.2.3.4,1001,1,2,,0,,legit\n" +
                 "yesterday,pbx,1.2.3.4,1001,1,2,,0,,legit\n");
  EXPECT_NE(t.error.find("t.csv:3: column 'start'"), std::string::npos) << t.error;
  t = read(std::string(kHeader) + "2026-03-02T09:00:00Z,lan,1.2.3.4,1001,1,2,,0,,legit\n");
  EXPECT_NE(t.error.find("column 'zone'"), std::string::npos) << t.error;
  t = read(std::string(kHeader) + "2026-03-02T09:00:00Z,pbx,1.2.3.4,1001,1,2,soon,0,,legit\n");
  EXPECT_NE(t.error.find("column 'answer_after_s'"), std::string::npos) << t.error;
  t = read(std::string(kHeader) + "2026-03-02T09:00:00Z,pbx,1.2.3.4\n");
  EXPECT_NE(t.error.find("t.csv:2: 3 fields"), std::string::npos) << t.error;
}

TEST(TraceTest, ReadsQuotedFieldsAndFractionsAndOptionalColumns) {
  const Trace t = read(
      "start,zone,source,account,from,to,answer_after_s,duration_s\n"
      "2026-03-02T09:00:00.250Z,public,1.2.3.4,\"ann, sales\",\"\"\"A\"\"\",12125550100,3,60\n");
  ASSERT_TRUE(t.ok()) << t.error;
  ASSERT_EQ(t.calls.size(), 1u);
  EXPECT_EQ(t.calls[0].account, "ann, sales");
  EXPECT_EQ(t.calls[0].from, "\"A\"");
  EXPECT_EQ(t.calls[0].zone, transport::Zone::kPublic);
  EXPECT_EQ(t.calls[0].label, "");
  EXPECT_FALSE(t.calls[0].ringS.has_value());
  EXPECT_EQ(t.calls[0].start.time_since_epoch() % std::chrono::seconds(1),
            std::chrono::milliseconds(250));
}

TEST(ReplayTest, PumpingIsStoppedAndLegitimateCallsPass) {
  std::string csv = kHeader;
  // Legitimate: national calls and one call to the UK.
  csv += "2026-03-02T09:00:00Z,pbx,10.0.0.1,1001,12125550100,12125550111,3,120,,legit\n";
  csv += "2026-03-02T09:01:00Z,pbx,10.0.0.1,1002,12125550100,011442079460000,3,300,,legit\n";
  // Pumping: numbers of one Latvian block, 10 s apart, long calls.
  for (int i = 0; i < 10; ++i) {
    csv += "2026-03-02T09:02:" + std::to_string(10 + i * 4) +
           "Z,pbx,10.0.0.1,1007,12125550100,01137120912" + std::to_string(100 + i) +
           ",2,1800,,irsf\n";
  }
  // Premium at home is refused by the policy's safe defaults.
  csv += "2026-03-02T09:03:00Z,pbx,10.0.0.1,1003,12125550100,19005550100,2,60,,premium\n";
  const ReplayReport r = run(csv);
  ASSERT_EQ(r.calls, 13u);
  const LabelReport& legit = r.labels.at("legit");
  EXPECT_EQ(legit.offered, 2u);
  EXPECT_EQ(legit.allowed, 2u);
  EXPECT_EQ(legit.refused + legit.tornDown, 0u);
  EXPECT_NEAR(legit.minutesAllowed, 7.0, 0.01);
  const LabelReport& irsf = r.labels.at("irsf");
  EXPECT_EQ(irsf.offered, 10u);
  EXPECT_EQ(irsf.allowed, 3u);   // the fourth number of the block is refused ...
  EXPECT_EQ(irsf.tornDown, 3u);  // ... and the three before it are ended
  EXPECT_EQ(irsf.refused, 7u);
  ASSERT_TRUE(irsf.secondsToFirstBlock.has_value());
  EXPECT_NEAR(*irsf.secondsToFirstBlock, 12.0, 0.01);
  EXPECT_LT(irsf.minutesAllowed, 1.0);
  EXPECT_EQ(r.refusedByRule.at("fraud.enumeration"), 1u);
  EXPECT_EQ(r.refusedByRule.at("fraud.blocked"), 6u);
  EXPECT_EQ(r.labels.at("premium").refused, 1u);
  EXPECT_GT(r.callsPerSecond, 0);
}

TEST(ReplayTest, WithTheDetectorsOffOnlyThePolicyActs) {
  const ReplayReport r = run(pumping(6), "fraud: { enabled: false }\n");
  const LabelReport& irsf = r.labels.at("irsf");
  EXPECT_EQ(irsf.allowed, 6u);  // under the default caps (8 at once, 20 a minute)
  EXPECT_EQ(irsf.refused, 0u);
  EXPECT_FALSE(irsf.secondsToFirstBlock.has_value());
}

TEST(ReplayTest, WithThePolicyOffTheDetectorsStillKnowTheDestinations) {
  const ReplayReport r = runWith(std::string(config::kMinimalConfig) + R"(policy:
  enabled: false
  numbering: { pbx: { country: US }, trunk: { country: US } }
)",
                                 pumping(6));
  const LabelReport& irsf = r.labels.at("irsf");
  EXPECT_EQ(irsf.allowed, 3u);
  EXPECT_EQ(irsf.tornDown, 3u);
  EXPECT_EQ(irsf.refused, 3u);
  EXPECT_EQ(r.refusedByRule.at("fraud.enumeration"), 1u);
}

}  // namespace
}  // namespace tg::guard::fraud
