#include "auth/algorithm_preferences.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "auth_test_util.h"
#include "base/clock.h"

namespace tg::auth {
namespace {

using Action = AuthDecision::Action;
using sip::DigestAlgorithm;
using testing::Answer;

const base::Address kPhone = *base::Address::parse("198.51.100.7", 5060);
constexpr std::string_view kBaresip = "baresip v1.0.0 (x86_64/linux)";
constexpr std::string_view kModernPhone = "ModernPhone/5.2";

std::string algorithmOf(const std::string& challenge) {
  auto c = sip::parseChallenge(challenge);
  return c ? c->algorithm.str() : std::string();
}

// The gateway authenticator wired as AuthService wires it, with per-account lists:
// "201" takes the default [SHA-256, MD5], "md5only" [MD5], "strict" [SHA-256].
class AlgorithmNegotiationTest : public ::testing::Test {
 protected:
  AlgorithmNegotiationTest()
      : prefs_(clock_, settings()),
        digest_(clock_, digestOptions()),
        lockout_(clock_, LockoutPolicy()),
        policy_(config::PasswordPolicySettings()),
        auth_(accounts_, digest_, lockout_, policy_, clock_, &prefs_) {
    std::vector<Account> accounts;
    for (const char* name : {"201", "md5only", "strict"}) {
      accounts.push_back(
          *Account::fromRecord(hashPassword(name, "gw.example.com", Answer().password,
                                            db::toEpochMillis(clock_.wallNow())),
                               nullptr));
    }
    accounts_.replace(std::move(accounts));
  }

  static AlgorithmPreferenceSettings settings() {
    AlgorithmPreferenceSettings s;
    s.perAccount["md5only"] = {DigestAlgorithm::kMd5};
    s.perAccount["strict"] = {DigestAlgorithm::kSha256};
    return s;
  }
  DigestServerOptions digestOptions() {
    DigestServerOptions o;
    o.realm = "gw.example.com";
    o.algorithms = acceptedAlgorithms(settings());
    o.key = std::string(32, 'k');
    return o;
  }

  AuthDecision send(std::string_view user, std::string_view userAgent,
                    const std::string& credentials = {}) {
    std::vector<std::string_view> values;
    if (!credentials.empty()) values.push_back(credentials);
    AuthRequest req;
    req.method = "REGISTER";
    req.credentials = values;
    req.source = kPhone;
    req.requestUri = "sip:gw.example.com";
    req.claimedUser = user;
    req.userAgent = userAgent;
    return auth_.authenticate(req);
  }
  std::vector<std::string> offered(std::string_view user, std::string_view userAgent) {
    std::vector<std::string> out;
    for (const std::string& c : send(user, userAgent).challenges) out.push_back(algorithmOf(c));
    return out;
  }

  base::ManualClock clock_;
  AlgorithmPreferences prefs_;
  AccountDirectory accounts_;
  DigestServer digest_;
  Lockout lockout_;
  PasswordPolicy policy_;
  GatewayAuthenticator auth_;
};

const std::vector<std::string> kShaFirst = {"SHA-256", "MD5"};
const std::vector<std::string> kMd5Only = {"MD5"};

// baresip 1.0 reads only the first challenge, fails on SHA-256 and registers again later,
// again without credentials: from then on it is offered MD5 alone (libre also gives up on a
// SHA-256 challenge listed second) and registers.
TEST_F(AlgorithmNegotiationTest, ClientThatNeverAnswersShaFirstGetsMd5AloneNextTime) {
  EXPECT_EQ(offered("201", kBaresip), kShaFirst);
  EXPECT_EQ(offered("201", kBaresip), kMd5Only);
  EXPECT_TRUE(prefs_.prefersMd5("201", kBaresip));
  const AuthDecision ch = send("201", kBaresip);
  Answer a;
  a.username = "201";
  EXPECT_EQ(send("201", kBaresip, testing::answer(ch.challenges.at(0), a)).action, Action::kAccept);
  // Learned per User-Agent: another client of the same account keeps SHA-256 first.
  EXPECT_EQ(offered("201", kModernPhone), kShaFirst);
}

TEST_F(AlgorithmNegotiationTest, ClientThatAnswersKeepsTheConfiguredOrder) {
  Answer a;
  a.username = "201";
  for (int round = 0; round < 3; ++round) {
    const AuthDecision ch = send("201", kModernPhone);
    ASSERT_EQ(algorithmOf(ch.challenges.at(0)), "SHA-256");
    a.nc = "0000000" + std::to_string(round + 1);
    // Answering the second challenge (MD5) still counts as answering.
    EXPECT_EQ(send("201", kModernPhone, testing::answer(ch.challenges.at(1), a)).action,
              Action::kAccept);
  }
  EXPECT_FALSE(prefs_.prefersMd5("201", kModernPhone));
}

TEST_F(AlgorithmNegotiationTest, PerAccountListsSetTheOfferAndWhatIsAccepted) {
  EXPECT_EQ(offered("md5only", kModernPhone), std::vector<std::string>{"MD5"});
  // An account without MD5 is never moved to it, however often it goes unanswered.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(offered("strict", kBaresip), std::vector<std::string>{"SHA-256"});
  }
  // An MD5 answer for "strict" (to a challenge obtained under another name) is not tried.
  const AuthDecision ch = send("201", kModernPhone);
  Answer a;
  a.username = "strict";
  const AuthDecision d = send("strict", kModernPhone, testing::answer(ch.challenges.at(1), a));
  EXPECT_EQ(d.action, Action::kChallenge);
  EXPECT_EQ(d.check, DigestCheck::kUnknownAlgorithm);
  a.nc = "00000002";
  EXPECT_EQ(send("strict", kModernPhone, testing::answer(ch.challenges.at(0), a)).action,
            Action::kAccept);
}

TEST_F(AlgorithmNegotiationTest, UnknownUsersAreTreatedLikeKnownOnes) {
  // The order depends on the name and what was seen, not on the account existing.
  EXPECT_EQ(offered("nobody", kBaresip), kShaFirst);
  EXPECT_EQ(offered("nobody", kBaresip), kMd5Only);
}

TEST(AlgorithmPreferences, LearningCanBeTurnedOff) {
  base::ManualClock clock;
  AlgorithmPreferenceSettings s;
  s.learn = false;
  AlgorithmPreferences prefs(clock, s);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(prefs.challengeOrder("201", kBaresip, true).front(), DigestAlgorithm::kSha256);
  }
  EXPECT_FALSE(prefs.prefersMd5("201", kBaresip));
}

TEST(AlgorithmPreferences, AcceptedAlgorithmsAreTheUnionDefaultsFirst) {
  AlgorithmPreferenceSettings s;
  s.defaults = {DigestAlgorithm::kSha256};
  s.perAccount["legacy"] = {DigestAlgorithm::kMd5};
  EXPECT_EQ(acceptedAlgorithms(s),
            (std::vector<DigestAlgorithm>{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}));
}

}  // namespace
}  // namespace tg::auth
