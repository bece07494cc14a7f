#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "auth_test_util.h"
#include "base/clock.h"

namespace tg::auth {
namespace {

using namespace std::chrono_literals;
using Action = AuthDecision::Action;
using testing::Answer;

const base::Address kPhone = *base::Address::parse("198.51.100.7", 5060);
const base::Address kAttacker = *base::Address::parse("203.0.113.9", 40000);

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest()
      : digest_(clock_, digestOptions()),
        lockout_(clock_, lockoutPolicy()),
        policy_(passwordSettings()),
        auth_(accounts_, digest_, lockout_, policy_, clock_) {
    db::AccountRecord r = hashPassword("201", "gw.example.com", Answer().password,
                                       db::toEpochMillis(clock_.wallNow()));
    r.allowedCallerIds = {"201", "+15551230201"};
    db::AccountRecord office = hashPassword("202", "gw.example.com", Answer().password,
                                            db::toEpochMillis(clock_.wallNow()));
    office.allowedNetworks = {"198.51.100.0/24"};
    db::AccountRecord off = hashPassword("203", "gw.example.com", Answer().password,
                                         db::toEpochMillis(clock_.wallNow()));
    off.enabled = false;
    std::vector<Account> accounts;
    for (const auto& rec : {r, office, off}) accounts.push_back(*Account::fromRecord(rec, nullptr));
    accounts_.replace(std::move(accounts));
  }

  static DigestServerOptions digestOptions() {
    DigestServerOptions o;
    o.realm = "gw.example.com";
    o.algorithms = {sip::DigestAlgorithm::kSha256, sip::DigestAlgorithm::kMd5};
    o.key = std::string(32, 'k');
    return o;
  }
  static LockoutPolicy lockoutPolicy() {
    LockoutPolicy p;
    p.failures = 3;
    p.sourceFailures = 0;
    return p;
  }
  static config::PasswordPolicySettings passwordSettings() {
    config::PasswordPolicySettings s;
    s.maxAgeDays = 90;
    s.warnDays = 14;
    s.refuseExpired = true;
    return s;
  }

  AuthDecision send(const std::string& credentials, const base::Address& from = kPhone,
                    std::string_view method = "REGISTER", std::string_view callerId = {},
                    std::string_view requestUri = "sip:gw.example.com") {
    std::vector<std::string_view> values;
    if (!credentials.empty()) values.push_back(credentials);
    AuthRequest req;
    req.method = method;
    req.credentials = values;
    req.source = from;
    req.requestUri = requestUri;
    req.callerId = callerId;
    return auth_.authenticate(req);
  }
  // A full round: challenge, then the answer.
  AuthDecision login(const Answer& a, const base::Address& from = kPhone,
                     std::string_view callerId = {}) {
    const AuthDecision ch = send("", from, a.method);
    EXPECT_EQ(ch.action, Action::kChallenge);
    return send(testing::answer(ch.challenges.at(0), a), from, a.method, callerId);
  }

  base::ManualClock clock_;
  AccountDirectory accounts_;
  DigestServer digest_;
  Lockout lockout_;
  PasswordPolicy policy_;
  GatewayAuthenticator auth_;
};

TEST_F(AuthenticatorTest, RequestWithoutCredentialsIsChallenged) {
  const AuthDecision d = send("");
  EXPECT_EQ(d.action, Action::kChallenge);
  EXPECT_EQ(d.status, 401);
  EXPECT_EQ(d.challengeHeader, "WWW-Authenticate");
  EXPECT_EQ(d.challenges.size(), 2u);
  const AuthDecision invite = send("", kPhone, "INVITE");
  EXPECT_EQ(invite.status, 407);
  EXPECT_EQ(invite.challengeHeader, "Proxy-Authenticate");
  EXPECT_EQ(GatewayAuthenticator::credentialsHeader("INVITE"), "Proxy-Authorization");
}

TEST_F(AuthenticatorTest, RightPasswordIsAccepted) {
  const AuthDecision d = login(Answer());
  ASSERT_EQ(d.action, Action::kAccept) << checkName(d.check);
  ASSERT_NE(d.account, nullptr);
  EXPECT_EQ(d.account->username, "201");
  EXPECT_FALSE(d.passwordDaysLeft.has_value());
}

TEST_F(AuthenticatorTest, InviteChecksTheCallerId) {
  Answer a;
  a.method = "INVITE";
  EXPECT_EQ(login(a, kPhone, "+15551230201").action, Action::kAccept);
  const AuthDecision d = login(a, kPhone, "+15559999999");
  EXPECT_EQ(d.action, Action::kReject);
  EXPECT_EQ(d.status, 403);
}

// RFC 7616 §3.4.6: an answer computed for one Request-URI is no good on another, even with
// a fresh nonce-count; it counts as a failed login and is answered 400.
TEST_F(AuthenticatorTest, AnswerForAnotherRequestUriIsRefusedAndCounted) {
  Answer a;
  a.method = "INVITE";
  a.uri = "sip:2001@gw.example.com";
  const AuthDecision ch = send("", kPhone, "INVITE");
  const std::string creds = testing::answer(ch.challenges.at(0), a);
  const AuthDecision replayed = send(creds, kPhone, "INVITE", {}, "sip:+900555123@gw.example.com");
  EXPECT_EQ(replayed.action, Action::kReject);
  EXPECT_EQ(replayed.status, 400);
  EXPECT_EQ(replayed.reasonPhrase, "Digest URI Does Not Match Request-URI");
  // The nonce-count was not spent: the genuine request still goes through.
  EXPECT_EQ(send(creds, kPhone, "INVITE", {}, "sip:2001@gw.example.com").action, Action::kAccept);
}

TEST_F(AuthenticatorTest, RepeatedUriMismatchesLockTheAccount) {
  Answer a;
  a.uri = "sip:gw.example.com";
  const AuthDecision ch = send("", kAttacker);
  const std::string creds = testing::answer(ch.challenges.at(0), a);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(send(creds, kAttacker, "REGISTER", {}, "sip:elsewhere.example.com").status, 400);
  }
  EXPECT_TRUE(lockout_.isLocked("201", kAttacker));
}

TEST_F(AuthenticatorTest, UnknownUserGetsTheSameUriMismatchAnswer) {
  Answer a;
  a.username = "999";
  const AuthDecision ch = send("", kAttacker);
  const AuthDecision d =
      send(testing::answer(ch.challenges.at(0), a), kAttacker, "REGISTER", {}, "sip:other");
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.reasonPhrase, "Digest URI Does Not Match Request-URI");
}

TEST(DigestUriMatches, SameTextOrEquivalentSipUri) {
  EXPECT_TRUE(digestUriMatches("sip:201@gw.example.com", "sip:201@gw.example.com"));
  EXPECT_TRUE(digestUriMatches("sip:201@GW.Example.com", "sip:201@gw.example.com"));
  EXPECT_TRUE(digestUriMatches("sip:%3201@gw.example.com", "sip:201@gw.example.com"));
  EXPECT_FALSE(digestUriMatches("sip:201@gw.example.com", "sip:202@gw.example.com"));
  EXPECT_FALSE(digestUriMatches("sip:gw.example.com", "sip:gw.example.com:5070"));
  EXPECT_FALSE(digestUriMatches("", "sip:gw.example.com"));
  EXPECT_FALSE(digestUriMatches("sip:gw.example.com", ""));
  EXPECT_FALSE(digestUriMatches("tel:+15551230201", "tel:+1-555-123-0201"));
}

// Strips the nonces: what is left must be the same bytes whatever the reason of the failure.
std::vector<std::string> withoutNonces(const AuthDecision& d) {
  std::vector<std::string> out;
  static const std::regex kNonce("nonce=\"[0-9a-f]+\"");
  for (const std::string& c : d.challenges) out.push_back(std::regex_replace(c, kNonce, "N"));
  return out;
}

TEST_F(AuthenticatorTest, NoOracleLockedUnknownDisabledAndWrongAnswerAlike) {
  Answer wrong;
  wrong.password = "Wrong-Horse-7731";
  const AuthDecision wrongPassword = login(wrong, kAttacker);
  Answer stranger;
  stranger.username = "999";
  const AuthDecision unknown = login(stranger, kAttacker);
  Answer disabled;
  disabled.username = "203";
  const AuthDecision off = login(disabled, kAttacker);
  Answer outside;
  outside.username = "202";
  const AuthDecision notAllowed = login(outside, kAttacker);

  // Lock 201 for the attacker, then send the right password.
  login(wrong, kAttacker);
  login(wrong, kAttacker);
  ASSERT_TRUE(lockout_.isLocked("201", kAttacker));
  const AuthDecision locked = login(Answer(), kAttacker);

  for (const AuthDecision* d : {&wrongPassword, &unknown, &off, &notAllowed, &locked}) {
    EXPECT_EQ(d->action, Action::kChallenge);
    EXPECT_EQ(d->status, wrongPassword.status);
    EXPECT_EQ(d->reasonPhrase, wrongPassword.reasonPhrase);
    EXPECT_EQ(d->challengeHeader, wrongPassword.challengeHeader);
    EXPECT_EQ(withoutNonces(*d), withoutNonces(wrongPassword));
    EXPECT_EQ(d->account, nullptr);
  }
  EXPECT_EQ(withoutNonces(locked)[0],
            "Digest realm=\"gw.example.com\", N, algorithm=SHA-256, qop=\"auth\"");
  // The same user from its own network is not locked out by the attacker.
  EXPECT_EQ(login(Answer(), kPhone).action, Action::kAccept);
}

TEST_F(AuthenticatorTest, ReplayedNonceCountGetsAStaleChallenge) {
  const AuthDecision ch = send("");
  const std::string creds = testing::answer(ch.challenges[0], Answer());
  EXPECT_EQ(send(creds).action, Action::kAccept);
  const AuthDecision replay = send(creds);
  EXPECT_EQ(replay.action, Action::kChallenge);
  EXPECT_EQ(replay.check, DigestCheck::kReplay);
  EXPECT_NE(replay.challenges[0].find("stale=true"), std::string::npos);
  EXPECT_FALSE(lockout_.isLocked("201", kPhone));
}

TEST_F(AuthenticatorTest, ExpiredNonceGetsStaleTrue) {
  const AuthDecision ch = send("");
  clock_.advance(301s);
  const AuthDecision d = send(testing::answer(ch.challenges[0], Answer()));
  EXPECT_EQ(d.action, Action::kChallenge);
  EXPECT_EQ(d.check, DigestCheck::kStale);
  EXPECT_NE(d.challenges[0].find("stale=true"), std::string::npos);
}

TEST_F(AuthenticatorTest, WrongRealmAndUnknownAlgorithmAreChallengedAgainWithoutCounting) {
  const AuthDecision ch = send("");
  Answer realm;
  realm.realm = "pbx.example.com";
  const AuthDecision r = send(testing::answer(ch.challenges[0], realm));
  EXPECT_EQ(r.action, Action::kChallenge);
  EXPECT_EQ(r.check, DigestCheck::kWrongRealm);
  EXPECT_EQ(r.challenges[0].find("stale"), std::string::npos);
  Answer alg;
  alg.algorithm = "SHA-512-256";  // not in this server's list
  const AuthDecision a = send(testing::answer(ch.challenges[0], alg));
  EXPECT_EQ(a.action, Action::kChallenge);
  EXPECT_EQ(a.check, DigestCheck::kUnknownAlgorithm);
  EXPECT_EQ(send("Digest username=\"201\"").action, Action::kReject);  // missing parameters
  EXPECT_EQ(send("Digest username=\"201\"").status, 400);
}

TEST_F(AuthenticatorTest, PasswordAgeWarnsThenRefuses) {
  clock_.advance(std::chrono::hours(24 * 80));
  const AuthDecision warn = login(Answer());
  ASSERT_EQ(warn.action, Action::kAccept);
  ASSERT_TRUE(warn.passwordDaysLeft.has_value());
  EXPECT_EQ(*warn.passwordDaysLeft, 10);
  clock_.advance(std::chrono::hours(24 * 10));
  const AuthDecision expired = login(Answer());
  EXPECT_EQ(expired.action, Action::kReject);
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(expired.reasonPhrase, "Password Expired");
}

}  // namespace
}  // namespace tg::auth
