// Admin API sessions: random ids and CSRF tokens, idle and absolute expiry, logout, the cap.

#include <gtest/gtest.h>

#include "app/admin_api/sessions.h"

namespace tg::app::admin_api {
namespace {

using std::chrono::seconds;

TEST(AdminSessions, ANewSessionHasDistinctUnguessableIdAndToken) {
  SessionTable t(seconds(60), seconds(600));
  const Session a = t.create("alice", 0);
  const Session b = t.create("alice", 0);
  EXPECT_EQ(a.id.size(), 64u);
  EXPECT_EQ(a.csrf.size(), 64u);
  EXPECT_NE(a.id, a.csrf);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.csrf, b.csrf);
  ASSERT_TRUE(t.use(a.id, 1000));
  EXPECT_EQ(t.use(a.id, 1000)->admin, "alice");
  EXPECT_FALSE(t.use("nope", 1000));
  EXPECT_FALSE(t.use("", 1000));
}

TEST(AdminSessions, IdleExpiryIsRestartedByUse) {
  SessionTable t(seconds(60), seconds(600));
  const Session s = t.create("alice", 0);
  EXPECT_TRUE(t.use(s.id, 59'000));
  EXPECT_TRUE(t.use(s.id, 118'000));   // 59 s after the last use
  EXPECT_FALSE(t.use(s.id, 178'000));  // 60 s idle
  EXPECT_FALSE(t.use(s.id, 178'001));  // and forgotten
  EXPECT_EQ(t.size(), 0u);
}

TEST(AdminSessions, AbsoluteExpiryHoldsHoweverActive) {
  SessionTable t(seconds(60), seconds(120));
  const Session s = t.create("alice", 0);
  for (int64_t now = 30'000; now < 120'000; now += 30'000) EXPECT_TRUE(t.use(s.id, now));
  EXPECT_FALSE(t.use(s.id, 120'000));
}

TEST(AdminSessions, LogoutEndsTheSession) {
  SessionTable t(seconds(60), seconds(600));
  const Session s = t.create("alice", 0);
  EXPECT_TRUE(t.remove(s.id));
  EXPECT_FALSE(t.remove(s.id));
  EXPECT_FALSE(t.use(s.id, 1));
}

TEST(AdminSessions, PastTheCapTheOldestSessionEnds) {
  SessionTable t(seconds(60), seconds(600), 2);
  const Session first = t.create("a", 0);
  const Session second = t.create("b", 1);
  const Session third = t.create("c", 2);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_FALSE(t.use(first.id, 3));
  EXPECT_TRUE(t.use(second.id, 3));
  EXPECT_TRUE(t.use(third.id, 3));
}

TEST(AdminSessions, SameSecretComparesWholeValues) {
  EXPECT_TRUE(sameSecret("abc", "abc"));
  EXPECT_FALSE(sameSecret("abc", "abd"));
  EXPECT_FALSE(sameSecret("abc", "ab"));
  EXPECT_FALSE(sameSecret("", "a"));
}

}  // namespace
}  // namespace tg::app::admin_api
