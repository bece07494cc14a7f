#include "audit/version_table.h"

#include <gtest/gtest.h>

#include "audit/sip_prober.h"

namespace tg::audit {
namespace {

TEST(VersionTable, CompareVersions) {
  EXPECT_LT(compareVersions("13.17.0", "13.17.1"), 0);
  EXPECT_LT(compareVersions("13.9", "13.17"), 0);  // numbers, not text
  EXPECT_EQ(compareVersions("13.17", "13.17.0"), 0);
  EXPECT_GT(compareVersions("16.2.1~dfsg-1", "16.2"), 0);
  EXPECT_EQ(compareVersions("", "0"), 0);
  EXPECT_GT(compareVersions("99999999999999999999", "1"), 0);  // no overflow
}

TEST(VersionTable, TheShippedTableLoadsAndIdentifies) {
  std::string error;
  const auto table = VersionTable::load(defaultVersionTablePath(), &error);
  ASSERT_TRUE(table) << error;
  const auto asterisk = table->identify("Asterisk PBX 13.1.0~dfsg-1");
  ASSERT_TRUE(asterisk);
  EXPECT_EQ(asterisk->product, "Asterisk");
  EXPECT_EQ(asterisk->version, "13.1.0");
  ASSERT_EQ(table->affecting(*asterisk).size(), 1u);
  EXPECT_EQ(table->affecting(*asterisk)[0]->id, "AST-2017-005");
  EXPECT_TRUE(table->affecting({"Asterisk", "13.17.1"}).empty());
  EXPECT_TRUE(table->affecting({"Asterisk", "20.5.0"}).empty());
  EXPECT_EQ(table->affecting({"Asterisk", "1.8.5"}).size(), 1u);  // AST-2011-013
  const auto freepbx = table->identify("FPBX-15.0.16.56(16.13.0)");
  ASSERT_TRUE(freepbx);
  EXPECT_EQ(freepbx->version, "16.13.0");
  const auto fs = table->identify("FreeSWITCH-mod_sofia/1.10.5-release~64bit");
  ASSERT_TRUE(fs);
  EXPECT_EQ(table->affecting(*fs).size(), 1u);
  EXPECT_FALSE(table->identify("trunkguard"));
}

TEST(VersionTable, BadTablesSayWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(VersionTable::parse("{", "t.json", &error));
  EXPECT_EQ(error, "t.json: not valid JSON");
  EXPECT_FALSE(VersionTable::parse("{\"products\": []}", "t.json", &error));
  EXPECT_NE(error.find("\"advisories\""), std::string::npos);
  EXPECT_FALSE(VersionTable::parse(
      R"({"products": [{"name": "X", "pattern": "("}], "advisories": []})", "t.json", &error));
  EXPECT_NE(error.find("products[0].pattern"), std::string::npos) << error;
  EXPECT_FALSE(VersionTable::parse(
      R"({"products": [], "advisories": [{"product": "X", "id": "A", "affected": [{}]}]})",
      "t.json", &error));
  EXPECT_NE(error.find("advisories[0].affected"), std::string::npos) << error;
  EXPECT_FALSE(VersionTable::load("/nonexistent.json", &error));
}

TEST(ProbeTarget, OneNamedAddressOnly) {
  std::string error;
  auto t = parseProbeTarget("pbx.example.com", &error);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->port, 5060);
  t = parseProbeTarget("192.0.2.7:5080", &error);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "192.0.2.7");
  EXPECT_EQ(t->port, 5080);
  t = parseProbeTarget("[2001:db8::1]:5062", &error);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "2001:db8::1");
  EXPECT_EQ(t->text(), "[2001:db8::1]:5062");
  t = parseProbeTarget("2001:db8::1", &error);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->port, 5060);
  for (const char* bad : {"192.0.2.0/24", "192.0.2.*", "a,b", "host 1", "", "h:0", "h:65536",
                          "h:", "h:x", "[::1", "[::1]x", ":5060"}) {
    EXPECT_FALSE(parseProbeTarget(bad, &error)) << bad;
  }
}

}  // namespace
}  // namespace tg::audit
