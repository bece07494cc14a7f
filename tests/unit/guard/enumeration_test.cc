// The edge answer to public-zone requesters must not tell "no such user" from "wrong password".

#include "guard/enumeration.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tg::guard {
namespace {

using sip::Method;
using Action = EdgeAnswer::Action;

std::string shape(const EdgeAnswer& a) {
  return std::to_string(static_cast<int>(a.action)) + " " + std::to_string(a.code) + " " +
         std::string(a.reason);
}

TEST(EnumerationTest, UnknownUserAndWrongPasswordLookTheSameBeforeAuthentication) {
  for (const Method m : {Method::kRegister, Method::kInvite}) {
    std::set<std::string> shapes;
    for (const int code : {401, 403, 404, 407, 410, 480, 484, 485, 604, 301, 302}) {
      shapes.insert(shape(normaliseForEdge(m, code, false)));
    }
    EXPECT_EQ(shapes.size(), 1u) << "one answer for every way of saying no";
    const EdgeAnswer a = normaliseForEdge(m, 404, false);
    EXPECT_EQ(a.action, Action::kChallenge);
    EXPECT_EQ(a.code, m == Method::kRegister ? 401 : 407);
  }
  EXPECT_EQ(normaliseForEdge(Method::kRegister, 404, false).reason, "Unauthorized");
  EXPECT_EQ(normaliseForEdge(Method::kInvite, 403, false).reason, "Proxy Authentication Required");
}

TEST(EnumerationTest, AuthenticatedRequestersGetOneCodeForEveryMissingDestination) {
  std::set<std::string> shapes;
  for (const int code : {404, 410, 480, 484, 485, 604, 302}) {
    shapes.insert(shape(normaliseForEdge(Method::kInvite, code, true)));
  }
  ASSERT_EQ(shapes.size(), 1u);
  const EdgeAnswer a = normaliseForEdge(Method::kInvite, 484, true);
  EXPECT_EQ(a.action, Action::kRelay);
  EXPECT_EQ(a.code, 480);
  EXPECT_EQ(a.reason, "Temporarily Unavailable");
}

TEST(EnumerationTest, ThePbxsOwnChallengeIsRelayedToAnAuthenticatedPhone) {
  const EdgeAnswer a = normaliseForEdge(Method::kRegister, 401, true);
  EXPECT_EQ(a.action, Action::kChallenge);
  EXPECT_EQ(a.code, 401);
  EXPECT_EQ(normaliseForEdge(Method::kInvite, 407, true).code, 407);
}

TEST(EnumerationTest, SuccessAndOrdinaryFailuresPassWithStandardReasons) {
  EXPECT_EQ(shape(normaliseForEdge(Method::kRegister, 200, false)),
            shape({Action::kRelay, 200, "OK"}));
  EXPECT_EQ(normaliseForEdge(Method::kInvite, 180, true).code, 180);
  EXPECT_EQ(normaliseForEdge(Method::kInvite, 486, true).code, 486);
  EXPECT_EQ(normaliseForEdge(Method::kInvite, 486, true).reason, "Busy Here");
  EXPECT_EQ(normaliseForEdge(Method::kInvite, 503, false).code, 503);
  EXPECT_EQ(normaliseForEdge(Method::kRegister, 403, true).code, 403);
}

}  // namespace
}  // namespace tg::guard
