#include "guard/common/cidr_trie.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace tg::guard {
namespace {

base::Address ip(const char* text) { return *base::Address::parse(text, 5060); }

IpPrefix net(const char* text) {
  std::string error;
  auto p = IpPrefix::parse(text, &error);
  EXPECT_TRUE(p) << text << ": " << error;
  return p.value_or(IpPrefix{});
}

TEST(IpPrefixTest, ParsesAndNormalizes) {
  EXPECT_EQ(net("192.0.2.7").toString(), "192.0.2.7/32");
  EXPECT_EQ(net("192.0.2.7/24").toString(), "192.0.2.0/24");  // host bits cleared
  EXPECT_EQ(net("2001:db8::1/32").toString(), "2001:db8::/32");
  EXPECT_EQ(net("::1").toString(), "::1/128");
  EXPECT_EQ(net("0.0.0.0/0").toString(), "0.0.0.0/0");
  // A mapped IPv4 network is the IPv4 network.
  EXPECT_EQ(net("::ffff:192.0.2.0/120").toString(), "192.0.2.0/24");
  EXPECT_TRUE(net("::ffff:192.0.2.0/120").v4);
  std::string error;
  EXPECT_FALSE(IpPrefix::parse("192.0.2.0/33", &error));
  EXPECT_NE(error.find("prefix length"), std::string::npos);
  EXPECT_FALSE(IpPrefix::parse("example.com", &error));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/", &error));
  EXPECT_FALSE(IpPrefix::parse("", &error));
}

TEST(IpPrefixTest, ContainsAndCovers) {
  EXPECT_TRUE(net("10.0.0.0/8").contains(ip("10.1.2.3")));
  EXPECT_FALSE(net("10.0.0.0/8").contains(ip("11.0.0.1")));
  EXPECT_TRUE(net("10.0.0.0/8").contains(ip("::ffff:10.9.9.9")));
  EXPECT_FALSE(net("::/0").contains(ip("10.0.0.1")));
  EXPECT_TRUE(net("::/0").contains(ip("::ffff:10.0.0.1")));
  EXPECT_TRUE(net("10.0.0.0/8").covers(net("10.2.0.0/16")));
  EXPECT_FALSE(net("10.2.0.0/16").covers(net("10.0.0.0/8")));
  EXPECT_FALSE(net("10.0.0.0/8").covers(net("::/0")));
}

TEST(CidrTrieTest, LongestPrefixMatchIPv4) {
  CidrTrie<int> trie;
  EXPECT_TRUE(trie.insert(net("10.0.0.0/8"), 8));
  EXPECT_TRUE(trie.insert(net("10.1.0.0/16"), 16));
  EXPECT_TRUE(trie.insert(net("10.1.2.3/32"), 32));
  EXPECT_EQ(trie.size(), 3u);
  ASSERT_NE(trie.lookup(ip("10.1.2.3")), nullptr);
  EXPECT_EQ(*trie.lookup(ip("10.1.2.3")), 32);
  EXPECT_EQ(*trie.lookup(ip("10.1.2.4")), 16);
  EXPECT_EQ(*trie.lookup(ip("10.200.0.1")), 8);
  EXPECT_EQ(trie.lookup(ip("11.0.0.1")), nullptr);
  EXPECT_FALSE(trie.contains(ip("192.0.2.1")));
  const auto match = trie.lookupPrefix(ip("10.1.9.9"));
  ASSERT_TRUE(match);
  EXPECT_EQ(match->first.toString(), "10.1.0.0/16");
}

TEST(CidrTrieTest, ReplaceFindAndErase) {
  CidrTrie<int> trie;
  EXPECT_TRUE(trie.insert(ip("192.0.2.0"), 24, 1));
  EXPECT_FALSE(trie.insert(ip("192.0.2.99"), 24, 2));  // same network: replaced
  EXPECT_EQ(trie.size(), 1u);
  ASSERT_NE(trie.find(net("192.0.2.0/24")), nullptr);
  EXPECT_EQ(*trie.find(net("192.0.2.0/24")), 2);
  EXPECT_EQ(trie.find(net("192.0.2.0/25")), nullptr);
  EXPECT_TRUE(trie.insert(net("192.0.2.128/25"), 3));
  EXPECT_TRUE(trie.insert(net("192.0.3.0/24"), 4));  // forces a valueless fork at /23
  EXPECT_EQ(*trie.lookup(ip("192.0.2.200")), 3);
  EXPECT_TRUE(trie.erase(net("192.0.2.0/24")));
  EXPECT_FALSE(trie.erase(net("192.0.2.0/24")));
  EXPECT_FALSE(trie.erase(net("192.0.0.0/16")));  // never inserted
  EXPECT_EQ(trie.lookup(ip("192.0.2.1")), nullptr);
  EXPECT_EQ(*trie.lookup(ip("192.0.2.200")), 3);
  EXPECT_EQ(*trie.lookup(ip("192.0.3.1")), 4);
  EXPECT_TRUE(trie.erase(ip("192.0.2.128"), 25));
  EXPECT_TRUE(trie.erase(net("192.0.3.0/24")));
  EXPECT_TRUE(trie.empty());
  EXPECT_EQ(trie.lookup(ip("192.0.3.1")), nullptr);
}

TEST(CidrTrieTest, IPv6AndMappedIPv4) {
  CidrTrie<std::string> trie;
  trie.insert(net("2001:db8::/32"), "doc");
  trie.insert(net("2001:db8:1::/48"), "doc1");
  trie.insert(net("203.0.113.0/24"), "v4");
  EXPECT_EQ(*trie.lookup(ip("2001:db8:1::5")), "doc1");
  EXPECT_EQ(*trie.lookup(ip("2001:db8:2::5")), "doc");
  EXPECT_EQ(trie.lookup(ip("2001:db9::1")), nullptr);
  // A dual-stack socket's view of an IPv4 peer matches the IPv4 entry.
  ASSERT_NE(trie.lookup(ip("::ffff:203.0.113.9")), nullptr);
  EXPECT_EQ(*trie.lookup(ip("::ffff:203.0.113.9")), "v4");
  EXPECT_EQ(trie.lookup(ip("::ffff:198.51.100.1")), nullptr);
  // IPv4 and IPv6 never match each other's networks.
  trie.insert(net("::/0"), "any6");
  EXPECT_EQ(trie.lookup(ip("198.51.100.1")), nullptr);
  EXPECT_EQ(*trie.lookup(ip("2001:db9::1")), "any6");
  trie.insert(net("0.0.0.0/0"), "any4");
  EXPECT_EQ(*trie.lookup(ip("198.51.100.1")), "any4");
  EXPECT_EQ(*trie.lookup(ip("::ffff:198.51.100.1")), "any4");
  // A mapped entry is stored as IPv4.
  trie.insert(net("::ffff:198.51.100.7"), "mapped");
  EXPECT_EQ(*trie.lookup(ip("198.51.100.7")), "mapped");
}

TEST(CidrTrieTest, AnyMatchVisitsShortestFirst) {
  CidrTrie<int> trie;
  trie.insert(net("10.0.0.0/8"), 8);
  trie.insert(net("10.1.0.0/16"), 16);
  trie.insert(net("10.1.1.1/32"), 32);
  std::vector<int> seen;
  EXPECT_FALSE(trie.anyMatch(ip("10.1.1.1"), [&](const IpPrefix&, int v) {
    seen.push_back(v);
    return false;
  }));
  EXPECT_EQ(seen, (std::vector<int>{8, 16, 32}));
  EXPECT_TRUE(trie.anyMatch(ip("10.1.1.1"), [](const IpPrefix&, int v) { return v == 16; }));
  EXPECT_FALSE(trie.anyMatch(ip("10.2.1.1"), [](const IpPrefix&, int v) { return v == 16; }));
}

TEST(CidrTrieTest, ForEachVisitsEveryNetwork) {
  CidrTrie<int> trie;
  trie.insert(net("2001:db8::/32"), 1);
  trie.insert(net("10.0.0.0/8"), 2);
  trie.insert(net("10.0.0.0/9"), 3);
  std::vector<std::string> seen;
  trie.forEach([&](const IpPrefix& p, int) { seen.push_back(p.toString()); });
  EXPECT_EQ(seen, (std::vector<std::string>{"10.0.0.0/8", "10.0.0.0/9", "2001:db8::/32"}));
  trie.clear();
  EXPECT_EQ(trie.size(), 0u);
  EXPECT_EQ(trie.lookup(ip("10.0.0.1")), nullptr);
}

// The trie against a brute-force scan of the same networks, through inserts and erases.
TEST(CidrTrieTest, MatchesBruteForce) {
  std::mt19937 rng(42);
  CidrTrie<int> trie;
  std::map<std::string, std::pair<IpPrefix, int>> reference;
  auto randomV4 = [&] {
    // A narrow address space so that networks overlap often.
    const uint32_t a = 0x0A000000u | (rng() & 0x0000FFFFu);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(a);
    return base::Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof(sin));
  };
  for (int round = 0; round < 3000; ++round) {
    const auto p = *IpPrefix::of(randomV4(), 8 + rng() % 25);
    if (rng() % 3 == 0) {
      EXPECT_EQ(trie.erase(p), reference.erase(p.toString()) == 1);
    } else {
      trie.insert(p, round);
      reference[p.toString()] = {p, round};
    }
    ASSERT_EQ(trie.size(), reference.size());
    const base::Address probe = randomV4();
    const std::pair<IpPrefix, int>* best = nullptr;
    for (const auto& [text, entry] : reference) {
      if (entry.first.contains(probe) &&
          (best == nullptr || entry.first.length > best->first.length)) {
        best = &entry;
      }
    }
    const int* got = trie.lookup(probe);
    if (best == nullptr) {
      ASSERT_EQ(got, nullptr) << probe.ip();
    } else {
      ASSERT_NE(got, nullptr) << probe.ip();
      ASSERT_EQ(*got, best->second) << probe.ip();
    }
  }
}

}  // namespace
}  // namespace tg::guard
