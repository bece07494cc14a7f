#include "guard/ban/blocklist.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace tg::guard {
namespace {

std::vector<std::string> texts(const Blocklist& list) {
  std::vector<std::string> out;
  for (const auto& n : list.networks) out.push_back(n.toString());
  return out;
}

TEST(BlocklistTest, PlainTextWithCommentsBlanksAndBadLines) {
  const Blocklist list = parseBlocklist(
      "# APIBAN export\n"
      "\n"
      "203.0.113.5\r\n"
      "  198.51.100.0/24   # a whole network\n"
      "2001:db8:bad::/48\n"
      "not-an-ip\n"
      "10.0.0.0/33\n"
      "203.0.113.5\n"  // repeated: kept once
      "192.0.2.7/24 ; host bits cleared\n");
  ASSERT_TRUE(list.ok()) << list.error;
  EXPECT_EQ(list.format, Blocklist::Format::kPlain);
  EXPECT_EQ(texts(list), (std::vector<std::string>{"203.0.113.5/32", "198.51.100.0/24",
                                                   "2001:db8:bad::/48", "192.0.2.0/24"}));
  ASSERT_EQ(list.problems.size(), 2u);
  EXPECT_EQ(list.problems[0].line, 6);
  EXPECT_EQ(list.problems[0].text, "not-an-ip");
  EXPECT_NE(list.problems[0].message.find("not an IP"), std::string::npos);
  EXPECT_EQ(list.problems[1].line, 7);
  EXPECT_NE(list.problems[1].message.find("prefix length"), std::string::npos);
}

TEST(BlocklistTest, EmptyFeedIsFine) {
  const Blocklist list = parseBlocklist("# nothing today\n\n");
  EXPECT_TRUE(list.ok());
  EXPECT_TRUE(list.networks.empty());
  EXPECT_TRUE(list.problems.empty());
}

TEST(BlocklistTest, BadLineTextIsBoundedAndPrintable) {
  const Blocklist list = parseBlocklist(std::string("\x1b[31m") + std::string(500, 'x') + "\n");
  ASSERT_EQ(list.problems.size(), 1u);
  EXPECT_LE(list.problems[0].text.size(), 90u);
  EXPECT_EQ(list.problems[0].text.find('\x1b'), std::string::npos);
}

TEST(BlocklistTest, ApibanJson) {
  const Blocklist list = parseBlocklist(R"(
    {"ipaddress": ["203.0.113.5", "2001:db8::1", "bogus", 42, "198.51.100.0/24"],
     "ID": "1611234567"})");
  ASSERT_TRUE(list.ok()) << list.error;
  EXPECT_EQ(list.format, Blocklist::Format::kApiban);
  EXPECT_EQ(list.apibanId, "1611234567");
  EXPECT_EQ(texts(list),
            (std::vector<std::string>{"203.0.113.5/32", "2001:db8::1/128", "198.51.100.0/24"}));
  ASSERT_EQ(list.problems.size(), 2u);
  EXPECT_EQ(list.problems[0].line, 3);  // position in the array
  EXPECT_EQ(list.problems[1].line, 4);
  EXPECT_EQ(list.problems[1].message, "not a string");
}

TEST(BlocklistTest, ApibanNoNewBans) {
  const Blocklist list = parseApibanJson(R"({"ipaddress": ["no new bans"], "ID": "none"})");
  EXPECT_TRUE(list.ok());
  EXPECT_TRUE(list.networks.empty());
  EXPECT_TRUE(list.problems.empty());
}

TEST(BlocklistTest, BrokenJsonIsAnError) {
  EXPECT_FALSE(parseBlocklist(R"({"ipaddress": ["203.0.113.5")").ok());
  const Blocklist wrong = parseBlocklist(R"({"addresses": []})");
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error.find("ipaddress"), std::string::npos);
}

TEST(BlocklistTest, ReadsFilesAndNamesUnreadableOnes) {
  std::string pattern = (std::filesystem::temp_directory_path() / "tg-bl-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  std::ofstream(dir / "feed.txt") << "203.0.113.5\n203.0.113.6\n";
  const Blocklist list = readBlocklistFile((dir / "feed.txt").string());
  EXPECT_TRUE(list.ok());
  EXPECT_EQ(list.networks.size(), 2u);
  const Blocklist missing = readBlocklistFile((dir / "missing.txt").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.error.find("missing.txt"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tg::guard
