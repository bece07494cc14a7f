#include "auth/digest_server.h"

#include <gtest/gtest.h>

#include <string>

#include "auth/account.h"
#include "auth_test_util.h"
#include "base/clock.h"
#include "store/memory_store.h"

namespace tg::auth {
namespace {

using namespace std::chrono_literals;
using sip::DigestAlgorithm;
using testing::Answer;

const base::Address kPhone = *base::Address::parse("198.51.100.7", 5060);
const base::Address kOther = *base::Address::parse("203.0.113.9", 5060);

DigestServerOptions options() {
  DigestServerOptions o;
  o.realm = "gw.example.com";
  o.algorithms = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5, DigestAlgorithm::kSha512_256};
  o.nonceLifetime = 300s;
  o.key = std::string(32, 'k');
  return o;
}

std::string ha1(DigestAlgorithm alg, const Answer& a) {
  return sip::ha1(alg, a.username, "gw.example.com", a.password);
}

struct Checked {
  DigestPrecheck pre;
  DigestCheck result;
};

Checked check(DigestServer& server, const std::string& header, const base::Address& source,
              const std::string& storedHa1, std::string_view method = "REGISTER") {
  auto c = sip::parseCredentials(std::string_view(header));
  EXPECT_TRUE(c.ok()) << header;
  Checked out;
  out.pre = server.precheck(*c, source);
  out.result = server.verify(*c, method, out.pre, storedHa1);
  return out;
}

// RFC 7616 §3.9.1 (SHA-256) and §3.9.2 (SHA-512-256; erratum 4897 values, see
// tests/unit/sip/digest_test.cc): the server's check of a response against a stored HA1.
TEST(DigestServerTest, VerifiesRfc7616ResponsesFromStoredHa1) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  const std::string sha256 =
      "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
      "algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
      "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
      "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
      "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
  auto c = sip::parseCredentials(std::string_view(sha256));
  ASSERT_TRUE(c.ok());
  const db::AccountRecord mufasa =
      hashPassword("Mufasa", "http-auth@example.org", "Circle of Life", 0);
  EXPECT_TRUE(server.responseMatches(*c, "GET", DigestAlgorithm::kSha256, mufasa.ha1Sha256));
  EXPECT_FALSE(server.responseMatches(*c, "GET", DigestAlgorithm::kSha256, mufasa.ha1Sha512_256));
  EXPECT_FALSE(server.responseMatches(*c, "POST", DigestAlgorithm::kSha256, mufasa.ha1Sha256));

  const std::string jasonName = "J\xc3\xa4s\xc3\xb8n Doe";
  const std::string sha512 =
      "Digest username=\"" + jasonName +
      "\", realm=\"api@example.org\", uri=\"/doe.json\", "
      "algorithm=SHA-512-256, nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", "
      "nc=00000001, cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\", qop=auth, "
      "response=\"3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5\"";
  auto j = sip::parseCredentials(std::string_view(sha512));
  ASSERT_TRUE(j.ok());
  const db::AccountRecord jason = hashPassword(jasonName, "api@example.org", "Secret, or not?", 0);
  EXPECT_TRUE(server.responseMatches(*j, "GET", DigestAlgorithm::kSha512_256, jason.ha1Sha512_256));
  EXPECT_FALSE(server.responseMatches(
      *j, "GET", DigestAlgorithm::kSha512_256,
      hashPassword(jasonName, "api@example.org", "Secret", 0).ha1Sha512_256));
}

TEST(DigestServerTest, ChallengesOfferEachAlgorithmWithQopAuth) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  const auto challenges = server.challenges(kPhone);
  ASSERT_EQ(challenges.size(), 3u);
  EXPECT_NE(challenges[0].find("algorithm=SHA-256"), std::string::npos) << challenges[0];
  EXPECT_NE(challenges[1].find("algorithm=MD5"), std::string::npos);
  EXPECT_NE(challenges[2].find("algorithm=SHA-512-256"), std::string::npos);
  for (const std::string& c : challenges) {
    EXPECT_NE(c.find("realm=\"gw.example.com\""), std::string::npos) << c;
    EXPECT_NE(c.find("qop=\"auth\""), std::string::npos) << c;
    EXPECT_EQ(c.find("stale"), std::string::npos) << c;
  }
  EXPECT_NE(testing::nonceOf(challenges[0]), testing::nonceOf(challenges[1]));
  EXPECT_NE(server.challenges(kPhone, true)[0].find("stale=true"), std::string::npos);
}

TEST(DigestServerTest, EveryAlgorithmVerifies) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  const Answer a;
  for (const std::string& ch : server.challenges(kPhone)) {
    const auto alg =
        *sip::parseDigestAlgorithm(sip::parseChallenge(std::string_view(ch))->algorithm.view());
    const Checked r = check(server, testing::answer(ch, a), kPhone, ha1(alg, a));
    EXPECT_EQ(r.pre.algorithm, alg);
    EXPECT_EQ(r.result, DigestCheck::kOk) << ch << ": " << checkName(r.result);
  }
}

TEST(DigestServerTest, WrongPasswordIsWrongResponse) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  a.password = "Guess-1234-xyz";
  const Checked r = check(server, testing::answer(server.challenges(kPhone)[0], a), kPhone, stored);
  EXPECT_EQ(r.result, DigestCheck::kWrongResponse);
}

TEST(DigestServerTest, ReplayedNonceCountIsRefusedAndHigherOneAccepted) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  const std::string ch = server.challenges(kPhone)[0];
  const std::string first = testing::answer(ch, a);
  EXPECT_EQ(check(server, first, kPhone, stored).result, DigestCheck::kOk);
  EXPECT_EQ(check(server, first, kPhone, stored).result, DigestCheck::kReplay);
  a.nc = "00000002";
  EXPECT_EQ(check(server, testing::answer(ch, a), kPhone, stored).result, DigestCheck::kOk);
  a.nc = "00000001";  // going back is a replay too
  EXPECT_EQ(check(server, testing::answer(ch, a), kPhone, stored).result, DigestCheck::kReplay);
  EXPECT_EQ(server.trackedNonces(), 1u);
}

TEST(DigestServerTest, ExpiredNonceIsStaleOnlyWithTheRightPassword) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  const std::string ch = server.challenges(kPhone)[0];
  clock.advance(301s);
  const Checked r = check(server, testing::answer(ch, a), kPhone, stored);
  EXPECT_TRUE(r.pre.expired);
  EXPECT_EQ(r.result, DigestCheck::kStale);
  a.password = "not-the-password-9";
  EXPECT_EQ(check(server, testing::answer(ch, a), kPhone, stored).result,
            DigestCheck::kWrongResponse);
}

TEST(DigestServerTest, NonceIsBoundToSourceRealmAndKey) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  const Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  const std::string header = testing::answer(server.challenges(kPhone)[0], a);
  EXPECT_EQ(check(server, header, kOther, stored).result, DigestCheck::kInvalidNonce);

  DigestServerOptions otherKey = options();
  otherKey.key = std::string(32, 'x');
  DigestServer other(clock, otherKey);
  EXPECT_EQ(check(other, header, kPhone, stored).result, DigestCheck::kInvalidNonce);
  // A second node with the same key accepts it (nonce.secret_file shared by a cluster).
  DigestServer twin(clock, options());
  EXPECT_EQ(check(twin, header, kPhone, stored).result, DigestCheck::kOk);

  std::string forged = header;
  const std::string nonce = testing::nonceOf(server.challenges(kPhone)[0]);
  const size_t at = forged.find("nonce=\"") + 7;
  forged[at + 15] = forged[at + 15] == '0' ? '1' : '0';  // move the issue time
  EXPECT_EQ(check(server, forged, kPhone, stored).result, DigestCheck::kInvalidNonce);
}

TEST(DigestServerTest, WrongRealmUnknownAlgorithmAndMissingQopAreRefusedBeforeHashing) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  const std::string ch = server.challenges(kPhone)[0];

  Answer wrongRealm = a;
  wrongRealm.realm = "pbx.example.com";
  EXPECT_EQ(check(server, testing::answer(ch, wrongRealm), kPhone, stored).result,
            DigestCheck::kWrongRealm);

  Answer aka = a;
  aka.algorithm = "AKAv1-MD5";
  EXPECT_EQ(check(server, testing::answer(ch, aka), kPhone, stored).result,
            DigestCheck::kUnknownAlgorithm);
  Answer sess = a;
  sess.algorithm = "SHA-256-sess";
  EXPECT_EQ(check(server, testing::answer(ch, sess), kPhone, stored).result,
            DigestCheck::kUnknownAlgorithm);

  DigestServerOptions shaOnly = options();
  shaOnly.algorithms = {DigestAlgorithm::kSha256};
  DigestServer strict(clock, shaOnly);
  Answer md5 = a;
  md5.algorithm = "MD5";
  EXPECT_EQ(check(strict, testing::answer(strict.challenges(kPhone)[0], md5), kPhone,
                  ha1(DigestAlgorithm::kMd5, a))
                .result,
            DigestCheck::kUnknownAlgorithm);

  std::string noQop = testing::answer(ch, a);
  const auto c = sip::parseCredentials(std::string_view(noQop));
  sip::Credentials stripped = *c;
  stripped.qop = sip::AuthValue();
  stripped.nc = sip::AuthValue();
  stripped.cnonce = sip::AuthValue();
  EXPECT_EQ(server.precheck(stripped, kPhone).status, DigestCheck::kBadQop);
}

TEST(DigestServerTest, ForgottenNonceCountsMeanStaleNotAReplayWindow) {
  base::ManualClock clock;
  DigestServerOptions o = options();
  o.maxTrackedNonces = 2;
  DigestServer server(clock, o);
  const Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  const std::string first = testing::answer(server.challenges(kPhone)[0], a);
  EXPECT_EQ(check(server, first, kPhone, stored).result, DigestCheck::kOk);
  clock.advance(1s);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(
        check(server, testing::answer(server.challenges(kPhone)[0], a), kPhone, stored).result,
        DigestCheck::kOk);
  }
  EXPECT_EQ(server.trackedNonces(), 2u);
  // The first nonce's count was evicted: its replay must not pass as new.
  EXPECT_EQ(check(server, first, kPhone, stored).result, DigestCheck::kStale);
}

TEST(DigestServerTest, ExpireDropsCountsOfExpiredNonces) {
  base::ManualClock clock;
  DigestServer server(clock, options());
  const Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  EXPECT_EQ(check(server, testing::answer(server.challenges(kPhone)[0], a), kPhone, stored).result,
            DigestCheck::kOk);
  server.expire();
  EXPECT_EQ(server.trackedNonces(), 1u);
  clock.advance(301s);
  server.expire();
  EXPECT_EQ(server.trackedNonces(), 0u);
}

TEST(DigestServerTest, TwoServersSharingAStoreRefuseEachOthersReplays) {
  // Two workers (or, with a shared store, two gateways) holding the same nonce key.
  base::ManualClock clock;
  store::MemoryStore shared(clock);
  DigestServer one(clock, options(), &shared);
  DigestServer two(clock, options(), &shared);
  Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  const std::string ch = one.challenges(kPhone)[0];
  EXPECT_EQ(check(one, testing::answer(ch, a), kPhone, stored).result, DigestCheck::kOk);
  EXPECT_EQ(check(two, testing::answer(ch, a), kPhone, stored).result, DigestCheck::kReplay);
  a.nc = "00000002";
  EXPECT_EQ(check(two, testing::answer(ch, a), kPhone, stored).result, DigestCheck::kOk);
  EXPECT_EQ(check(one, testing::answer(ch, a), kPhone, stored).result, DigestCheck::kReplay);
  EXPECT_EQ(one.trackedNonces(), 0u);  // the counts are the shared store's
}

TEST(DigestServerTest, NonceCountsExpireInTheSharedStoreWithTheNonce) {
  base::ManualClock clock;
  store::MemoryStore shared(clock);
  DigestServer server(clock, options(), &shared);
  const Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  EXPECT_EQ(check(server, testing::answer(server.challenges(kPhone)[0], a), kPhone, stored).result,
            DigestCheck::kOk);
  EXPECT_EQ(shared.size(), 1u);
  clock.advance(301s);
  shared.sweep();
  EXPECT_EQ(shared.size(), 0u);
}

TEST(DigestServerTest, AnEvictionInTheSharedStoreMakesOlderNoncesStale) {
  base::ManualClock clock;
  store::MemoryStore shared(clock, store::MemoryStoreOptions{.maxKeys = 2, .shards = 1});
  DigestServer server(clock, options(), &shared);
  const Answer a;
  const std::string stored = ha1(DigestAlgorithm::kSha256, a);
  const std::string first = testing::answer(server.challenges(kPhone)[0], a);
  EXPECT_EQ(check(server, first, kPhone, stored).result, DigestCheck::kOk);
  clock.advance(1s);
  shared.put("other:a", "x", store::kForever);  // other users of the store fill it
  shared.put("other:b", "x", store::kForever);
  EXPECT_EQ(shared.evictions(), 1u);
  EXPECT_EQ(check(server, first, kPhone, stored).result, DigestCheck::kStale);
}

}  // namespace
}  // namespace tg::auth
