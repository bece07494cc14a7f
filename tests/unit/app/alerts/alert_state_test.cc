// The provider-health watch: a change of an address's state is one event, no change is none.

#include "app/alerts/alert_state.h"

#include <gtest/gtest.h>

namespace tg::app::alerts {
namespace {

b2bua::PeerHealth provider(bool firstUp, bool secondUp) {
  b2bua::PeerHealth p;
  p.name = "carrier";
  for (const char* a : {"192.0.2.10:5060", "192.0.2.11:5060"}) {
    b2bua::AddressHealth h;
    h.target.address = *base::Address::parseHostPort(a);
    p.addresses.push_back(h);
  }
  p.addresses[0].up = firstUp;
  p.addresses[1].up = secondUp;
  p.addresses[0].consecutiveFailures = firstUp ? 0 : 3;
  return p;
}

TEST(PeerStateWatch, DownAndBackUpAreOneEventEach) {
  PeerStateWatch w;
  EXPECT_TRUE(w.update({provider(true, true)}, 1000).empty());  // first sight: remembered
  EXPECT_TRUE(w.update({provider(true, true)}, 2000).empty());

  auto down = w.update({provider(false, true)}, 3000);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].rule, "provider.down");
  EXPECT_EQ(down[0].zone, "trunk");
  EXPECT_EQ(down[0].source, "192.0.2.10:5060");
  EXPECT_EQ(down[0].timeMs, 3000);
  EXPECT_NE(down[0].reason.find("carrier"), std::string::npos) << down[0].reason;
  EXPECT_NE(down[0].reason.find("1 of 2 addresses up"), std::string::npos) << down[0].reason;
  EXPECT_TRUE(w.update({provider(false, true)}, 4000).empty());  // still down: nothing new

  auto up = w.update({provider(true, true)}, 5000);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].rule, "provider.up");
  EXPECT_EQ(up[0].source, "192.0.2.10:5060");
}

TEST(PeerStateWatch, AnAddressDownAtFirstSightAlerts) {
  PeerStateWatch w;
  auto events = w.update({provider(true, false)}, 1000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].source, "192.0.2.11:5060");
}

TEST(PeerStateWatch, ThePbxHasItsOwnRules) {
  PeerStateWatch w;
  b2bua::PeerHealth pbx = provider(true, true);
  pbx.name = "pbx";
  w.update({pbx}, 1000);
  pbx.addresses[1].up = false;
  auto events = w.update({pbx}, 2000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].rule, "pbx.down");
  EXPECT_EQ(events[0].zone, "pbx");
}

TEST(PeerStateWatch, ForgottenAddressesStartAfresh) {
  PeerStateWatch w;
  w.update({provider(false, true)}, 1000);
  w.update({}, 2000);  // a reload dropped the provider
  // Listed again and up: no "up" event for a state it no longer knew.
  EXPECT_TRUE(w.update({provider(true, true)}, 3000).empty());
}

}  // namespace
}  // namespace tg::app::alerts
