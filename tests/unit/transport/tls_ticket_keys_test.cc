// The session-ticket key ring: a fresh key every period, the previous one still opens tickets
// (and asks for a renewal), anything older is a full handshake.

#include "transport/tls_ticket_keys.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tg::transport {
namespace {

using std::chrono::hours;

TEST(TicketKeyRingTest, RotatesEveryPeriodAndKeepsOnePreviousKey) {
  base::ManualClock clock;
  TicketKeyRing ring(clock, hours(6));
  const TicketKeyRing::Key first = ring.current();
  EXPECT_EQ(ring.current().name, first.name) << "same key within the period";
  ASSERT_TRUE(ring.find(first.name.data()));
  EXPECT_EQ(ring.find(first.name.data())->age, TicketKeyRing::Age::kCurrent);

  clock.advance(hours(6));
  const TicketKeyRing::Key second = ring.current();
  EXPECT_NE(second.name, first.name);
  EXPECT_NE(second.aesKey, first.aesKey);
  const auto old = ring.find(first.name.data());
  ASSERT_TRUE(old);
  EXPECT_EQ(old->age, TicketKeyRing::Age::kPrevious);
  EXPECT_EQ(old->key.hmacKey, first.hmacKey);

  clock.advance(hours(6));
  ring.current();
  EXPECT_FALSE(ring.find(first.name.data())) << "two periods old";
  EXPECT_TRUE(ring.find(second.name.data()));
}

TEST(TicketKeyRingTest, AfterALongQuietSpellNoOldKeyOpensTickets) {
  base::ManualClock clock;
  TicketKeyRing ring(clock, hours(6));
  const TicketKeyRing::Key first = ring.current();
  clock.advance(hours(13));
  EXPECT_FALSE(ring.find(first.name.data()));
  const unsigned char unknown[16] = {1, 2, 3};
  EXPECT_FALSE(ring.find(unknown));
}

}  // namespace
}  // namespace tg::transport
