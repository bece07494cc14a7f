#include "base/address.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace tg::base {
namespace {

TEST(Address, DefaultIsInvalid) {
  const Address a;
  EXPECT_FALSE(a.valid());
  EXPECT_FALSE(a.isV4());
  EXPECT_FALSE(a.isV6());
  EXPECT_EQ(a.port(), 0);
  EXPECT_EQ(a.ip(), "");
  EXPECT_EQ(a.sockaddrLen(), 0u);
  EXPECT_FALSE(a.isLoopback());
}

TEST(Address, ParsesAndFormatsIPv4) {
  auto a = Address::parse("192.0.2.10", 5060);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->valid());
  EXPECT_TRUE(a->isV4());
  EXPECT_FALSE(a->isV6());
  EXPECT_EQ(a->port(), 5060);
  EXPECT_EQ(a->ip(), "192.0.2.10");
  EXPECT_EQ(a->sipHost(), "192.0.2.10");
  EXPECT_EQ(a->toString(), "192.0.2.10:5060");
  EXPECT_EQ(a->sockaddrLen(), sizeof(sockaddr_in));
  EXPECT_EQ(a->sockaddrPtr()->sa_family, AF_INET);
}

TEST(Address, ParsesAndFormatsIPv6) {
  auto a = Address::parse("2001:db8:0:0::1", 5061);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->isV6());
  EXPECT_EQ(a->ip(), "2001:db8::1");  // canonical form
  EXPECT_EQ(a->sipHost(), "[2001:db8::1]");
  EXPECT_EQ(a->toString(), "[2001:db8::1]:5061");
  EXPECT_EQ(a->sockaddrLen(), sizeof(sockaddr_in6));

  auto bracketed = Address::parse("[::1]", 0);
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(bracketed->ip(), "::1");
}

TEST(Address, RejectsWhatIsNotAnIpLiteral) {
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "example.com", "[::1", "::1]", "[]", "1.2.3.4 ",
                          " 1.2.3.4", "1.2.3.4:5060", "gggg::1"}) {
    EXPECT_FALSE(Address::parse(bad, 1)) << bad;
  }
  // Longer than any address: must not overflow the conversion buffer.
  EXPECT_FALSE(Address::parse(std::string(200, '1'), 1));
}

TEST(Address, ParseHostPort) {
  auto v4 = Address::parseHostPort("127.0.0.1:5060");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->toString(), "127.0.0.1:5060");
  auto v6 = Address::parseHostPort("[::1]:5070");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->isV6());
  EXPECT_EQ(v6->port(), 5070);
  auto maxPort = Address::parseHostPort("10.0.0.1:65535");
  ASSERT_TRUE(maxPort);
  EXPECT_EQ(maxPort->port(), 65535);

  for (const char* bad :
       {"127.0.0.1", "127.0.0.1:", "127.0.0.1:abc", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:5060x", "[::1]", "[::1]5060", "[::1:5060", "host.example:5060", ":5060", ""}) {
    EXPECT_FALSE(Address::parseHostPort(bad)) << bad;
  }
}

TEST(Address, SetPort) {
  auto a = Address::parse("::1", 1);
  ASSERT_TRUE(a);
  a->setPort(5080);
  EXPECT_EQ(a->port(), 5080);
  EXPECT_EQ(a->toString(), "[::1]:5080");
  auto b = Address::parse("10.0.0.1", 1);
  b->setPort(0);
  EXPECT_EQ(b->toString(), "10.0.0.1:0");
}

TEST(Address, SockaddrRoundTrip) {
  for (const char* text : {"192.0.2.1:5060", "[2001:db8::5]:5062"}) {
    auto a = Address::parseHostPort(text);
    ASSERT_TRUE(a) << text;
    const Address copy = Address::fromSockaddr(a->sockaddrPtr(), a->sockaddrLen());
    EXPECT_EQ(copy, *a) << text;
    EXPECT_EQ(copy.toString(), text);
  }
  // An oversized length is clamped rather than overrunning the storage.
  sockaddr_storage big{};
  reinterpret_cast<sockaddr_in*>(&big)->sin_family = AF_INET;
  const Address clamped =
      Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&big), sizeof(big) + 64);
  EXPECT_TRUE(clamped.isV4());
}

TEST(Address, EqualityAndSameIp) {
  const auto a = *Address::parseHostPort("192.0.2.1:5060");
  const auto samePort = *Address::parseHostPort("192.0.2.1:5060");
  const auto otherPort = *Address::parseHostPort("192.0.2.1:5061");
  const auto otherIp = *Address::parseHostPort("192.0.2.2:5060");
  const auto v6 = *Address::parseHostPort("[::ffff:192.0.2.1]:5060");
  EXPECT_EQ(a, samePort);
  EXPECT_FALSE(a == otherPort);
  EXPECT_TRUE(a.sameIp(otherPort));
  EXPECT_FALSE(a == otherIp);
  EXPECT_FALSE(a.sameIp(otherIp));
  EXPECT_FALSE(a == v6);  // different families are different addresses
  EXPECT_FALSE(a.sameIp(v6));

  const auto six = *Address::parseHostPort("[2001:db8::1]:5060");
  EXPECT_EQ(six, *Address::parseHostPort("[2001:db8:0::1]:5060"));
  EXPECT_FALSE(six == *Address::parseHostPort("[2001:db8::2]:5060"));
}

TEST(Address, HashAgreesWithEquality) {
  const auto a = *Address::parseHostPort("192.0.2.1:5060");
  const auto b = *Address::parseHostPort("192.0.2.1:5060");
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(std::hash<Address>()(a), a.hash());
  std::unordered_set<Address> set;
  set.insert(a);
  set.insert(b);
  set.insert(*Address::parseHostPort("192.0.2.1:5061"));
  set.insert(*Address::parseHostPort("192.0.2.2:5060"));
  set.insert(*Address::parseHostPort("[2001:db8::1]:5060"));
  set.insert(*Address::parseHostPort("[2001:db8::1]:5060"));
  set.insert(*Address::parseHostPort("[2001:db8::2]:5060"));
  EXPECT_EQ(set.size(), 5u);
  EXPECT_TRUE(set.contains(*Address::parseHostPort("[2001:db8::2]:5060")));
}

TEST(Address, IsLoopback) {
  EXPECT_TRUE(Address::parse("127.0.0.1", 0)->isLoopback());
  EXPECT_TRUE(Address::parse("127.255.3.4", 0)->isLoopback());
  EXPECT_TRUE(Address::parse("::1", 0)->isLoopback());
  EXPECT_FALSE(Address::parse("128.0.0.1", 0)->isLoopback());
  EXPECT_FALSE(Address::parse("10.0.0.1", 0)->isLoopback());
  EXPECT_FALSE(Address::parse("0.0.0.0", 0)->isLoopback());
  EXPECT_FALSE(Address::parse("::", 0)->isLoopback());
  EXPECT_TRUE(Address::parse("::ffff:127.0.0.1", 0)->isLoopback());
  EXPECT_FALSE(Address::parse("::ffff:10.0.0.1", 0)->isLoopback());
  EXPECT_FALSE(Address::parse("2001:db8::1", 0)->isLoopback());
}

}  // namespace
}  // namespace tg::base
