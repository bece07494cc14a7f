#include "guard/acl/zone_acl.h"

#include <gtest/gtest.h>

#include <string>

#include "../common/test_helpers.h"

namespace tg::guard::acl {
namespace {

using tg::testing::addr;
using transport::Zone;

config::Cidr cidr(const char* text) {
  auto c = config::Cidr::parse(text);
  EXPECT_TRUE(c.has_value()) << text;
  return c.value_or(config::Cidr{});
}

base::Address ip(const char* text) { return addr(text, 40000); }

// The PBX at 192.0.2.20, two providers, nothing configured for the public zone.
config::Config baseConfig() {
  config::Config c;
  c.pbx.allowedSources = {cidr("192.0.2.20")};
  config::Provider a;
  a.allowedSources = {cidr("198.51.100.0/28")};
  config::Provider b;
  b.allowedSources = {cidr("2001:db8:100::/48")};
  c.trunk.providers = {a, b};
  return c;
}

TEST(ZoneAclTest, PbxAndTrunkZonesAdmitOnlyTheirPeers) {
  const ZoneAcl acl(baseConfig());
  EXPECT_TRUE(acl.allowed(Zone::kPbx, ip("192.0.2.20")));
  EXPECT_TRUE(acl.allowed(Zone::kPbx, ip("::ffff:192.0.2.20")));  // dual-stack socket
  const AclVerdict v = acl.check(Zone::kPbx, ip("192.0.2.21"));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "acl.not_allowed");
  EXPECT_TRUE(acl.allowed(Zone::kTrunk, ip("198.51.100.15")));
  EXPECT_FALSE(acl.allowed(Zone::kTrunk, ip("198.51.100.16")));
  EXPECT_TRUE(acl.allowed(Zone::kTrunk, ip("2001:db8:100:5::1")));
  EXPECT_FALSE(acl.allowed(Zone::kTrunk, ip("2001:db8:101::1")));
  EXPECT_FALSE(acl.allowed(Zone::kTrunk, ip("192.0.2.20")));  // the PBX is not a provider
  EXPECT_TRUE(acl.allowed(Zone::kPublic, ip("203.0.113.9")));
}

TEST(ZoneAclTest, DenyListDropsFirst) {
  config::Config c = baseConfig();
  c.guard.acl.publicZone.deny = {cidr("203.0.113.0/24"), cidr("2001:db8:bad::/48")};
  c.guard.acl.trunk.deny = {cidr("198.51.100.8/29")};
  const ZoneAcl acl(c);
  const AclVerdict v = acl.check(Zone::kPublic, ip("203.0.113.200"));
  EXPECT_FALSE(v.allowed);
  EXPECT_FALSE(v.shadow);
  EXPECT_EQ(v.rule, "acl.deny");
  EXPECT_FALSE(acl.allowed(Zone::kPublic, ip("2001:db8:bad:1::1")));
  EXPECT_TRUE(acl.allowed(Zone::kPublic, ip("2001:db8:bae::1")));
  EXPECT_TRUE(acl.allowed(Zone::kPublic, ip("203.0.114.1")));
  // A provider's network with a denied part.
  EXPECT_TRUE(acl.allowed(Zone::kTrunk, ip("198.51.100.7")));
  EXPECT_EQ(acl.check(Zone::kTrunk, ip("198.51.100.9")).rule, "acl.deny");
}

TEST(ZoneAclTest, AllowListRestrictsAndDenyWinsOverIt) {
  config::Config c = baseConfig();
  c.guard.acl.publicZone.allow = {cidr("203.0.113.0/24")};
  c.guard.acl.publicZone.deny = {cidr("203.0.113.128/25")};
  const ZoneAcl acl(c);
  EXPECT_TRUE(acl.allowed(Zone::kPublic, ip("203.0.113.1")));
  EXPECT_EQ(acl.check(Zone::kPublic, ip("203.0.113.129")).rule, "acl.deny");
  EXPECT_EQ(acl.check(Zone::kPublic, ip("192.0.2.99")).rule, "acl.not_allowed");
}

TEST(ZoneAclTest, ShadowModeLetsThroughButSaysWhatItWouldHaveDone) {
  config::Config c = baseConfig();
  c.guard.acl.enforce = false;
  c.guard.acl.publicZone.deny = {cidr("203.0.113.0/24")};
  const ZoneAcl acl(c);
  const AclVerdict v = acl.check(Zone::kPublic, ip("203.0.113.5"));
  EXPECT_TRUE(v.allowed);
  EXPECT_TRUE(v.shadow);
  EXPECT_EQ(v.rule, "acl.deny");
  EXPECT_FALSE(acl.check(Zone::kPublic, ip("192.0.2.1")).shadow);
  // The zones' peer networks are not part of the shadow switch.
  EXPECT_FALSE(acl.allowed(Zone::kPbx, ip("192.0.2.21")));
}

TEST(ZoneAclTest, DisabledAclKeepsOnlyThePeerNetworks) {
  config::Config c = baseConfig();
  c.guard.acl.enabled = false;
  c.guard.acl.publicZone.deny = {cidr("0.0.0.0/0")};
  const ZoneAcl acl(c);
  EXPECT_TRUE(acl.allowed(Zone::kPublic, ip("203.0.113.5")));
  EXPECT_FALSE(acl.allowed(Zone::kTrunk, ip("203.0.113.5")));
}

TEST(ZoneAclTest, DenyAllClosesAZone) {
  config::Config c = baseConfig();
  c.guard.acl.publicZone.deny = {cidr("0.0.0.0/0"), cidr("::/0")};
  const ZoneAcl acl(c);
  EXPECT_FALSE(acl.allowed(Zone::kPublic, ip("203.0.113.5")));
  EXPECT_FALSE(acl.allowed(Zone::kPublic, ip("2001:db8::1")));
  EXPECT_FALSE(acl.allowed(Zone::kPublic, ip("::ffff:203.0.113.5")));
}

TEST(ZoneAclTest, CreateWithoutCountriesNeedsNoDatabase) {
  std::string error;
  auto acl = ZoneAcl::create(baseConfig(), &error);
  ASSERT_NE(acl, nullptr) << error;
  EXPECT_TRUE(acl->allowed(Zone::kPbx, ip("192.0.2.20")));
}

}  // namespace
}  // namespace tg::guard::acl
