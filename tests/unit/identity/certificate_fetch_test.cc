// The x5u fetch against a real HTTPS server on loopback (x5u_server.py, allowed by the
// test-only allow_private_x5u), the SSRF guard, the cache and the verification service.

#include "identity/certificate_fetch.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <future>

#include "identity/certificate_cache.h"
#include "identity/identity_verifier.h"
#include "identity/x5u_address.h"
#include "identity_test_files.h"

namespace tg::identity {
namespace {

using testing::TestFiles;
using testing::X5uServer;
using namespace std::chrono_literals;

std::string_view kindOf(std::string_view ip) {
  auto a = base::Address::parse(ip, 0);
  EXPECT_TRUE(a) << ip;
  return a ? nonPublicKind(*a) : "?";
}

TEST(X5uAddressTest, OnlyPublicUnicastIsFetchedFrom) {
  EXPECT_EQ(kindOf("127.0.0.1"), "loopback");
  EXPECT_EQ(kindOf("::1"), "loopback");
  EXPECT_EQ(kindOf("10.1.2.3"), "private");
  EXPECT_EQ(kindOf("172.16.0.1"), "private");
  EXPECT_EQ(kindOf("192.168.1.1"), "private");
  EXPECT_EQ(kindOf("169.254.169.254"), "link-local");  // cloud metadata
  EXPECT_EQ(kindOf("fe80::1"), "link-local");
  EXPECT_EQ(kindOf("fd00::1"), "unique local");
  EXPECT_EQ(kindOf("100.64.0.1"), "shared (CGNAT)");
  EXPECT_EQ(kindOf("0.0.0.0"), "unspecified");
  EXPECT_EQ(kindOf("::"), "unspecified");
  EXPECT_EQ(kindOf("224.0.0.1"), "multicast");
  EXPECT_EQ(kindOf("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(kindOf("64:ff9b::a00:1"), "private");
  EXPECT_EQ(kindOf("8.8.8.8"), "");
  EXPECT_EQ(kindOf("172.32.0.1"), "");
  EXPECT_EQ(kindOf("2a00:1450::1"), "");
}

TEST(HttpsUrlTest, OnlyHttpsWithoutCredentials) {
  HttpsUrl u = parseHttpsUrl("https://cert.example.org:8443/sti/a.pem?x=1#f");
  EXPECT_EQ(u.host, "cert.example.org");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.target, "/sti/a.pem?x=1");
  u = parseHttpsUrl("HTTPS://[2001:db8::1]/c");
  EXPECT_EQ(u.host, "2001:db8::1");
  EXPECT_EQ(u.port, 443);
  EXPECT_TRUE(parseHttpsUrl("http://cert.example.org/a.pem").host.empty());
  EXPECT_TRUE(parseHttpsUrl("https://user:pw@cert.example.org/a.pem").host.empty());
  EXPECT_TRUE(parseHttpsUrl("https://cert.example.org:99999/a.pem").host.empty());
  EXPECT_TRUE(parseHttpsUrl("https:///a.pem").host.empty());
}

TEST(CacheControlTest, MaxAgeNoStoreAndNone) {
  EXPECT_EQ(cacheControlMaxAge("public, max-age=3600"), 3600s);
  EXPECT_EQ(cacheControlMaxAge("no-store"), 0s);
  EXPECT_EQ(cacheControlMaxAge("max-age=60, no-cache"), 0s);
  EXPECT_EQ(cacheControlMaxAge(""), std::nullopt);
  EXPECT_EQ(cacheControlMaxAge("max-age=abc"), std::nullopt);
}

TEST(CertificateCacheTest, ExpiresAndMakesRoom) {
  using Clock = CertificateCache::Clock;
  CertificateCache cache(2);
  const auto t = Clock::now();
  auto chain = std::make_shared<const VerifiedChain>();
  cache.store("a", chain, t + 10s, t);
  EXPECT_EQ(cache.find("a", t + 9s), chain);
  EXPECT_EQ(cache.find("a", t + 10s), nullptr);  // expired, and dropped
  EXPECT_EQ(cache.size(), 0u);
  cache.store("zero", chain, t, t);  // max-age 0: not kept
  EXPECT_EQ(cache.size(), 0u);
  cache.store("a", chain, t + 30s, t);
  cache.store("b", chain, t + 20s, t);
  cache.store("c", chain, t + 40s, t);  // full: b expires first and goes
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find("b", t), nullptr);
  EXPECT_NE(cache.find("a", t), nullptr);
  EXPECT_NE(cache.find("c", t), nullptr);
}

class FetchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    files_ = new TestFiles();
    if (files_->ok()) server_ = new X5uServer(*files_);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete files_;
  }
  void SetUp() override {
    ASSERT_TRUE(files_->ok()) << "make_passports.py failed";
    ASSERT_GT(server_->port(), 0) << "x5u_server.py did not start";
    limits_.allowPrivate = true;
    limits_.caFile = files_->path("server_ca.pem");
    limits_.timeout = 1500ms;
  }
  int served() {
    FetchedCertificate f = fetchCertificate(server_->url("/count"), limits_);
    EXPECT_TRUE(f.ok()) << f.error;
    return std::atoi(f.body.c_str());
  }
  std::string sign(const std::string& x5u) {
    const std::string command = "/usr/bin/python3 '" + std::string(TG_SOURCE_DIR) +
                                "/tests/unit/identity/sign_passport.py' '" +
                                files_->path("signer.key") + "' '" + x5u +
                                "' 12155551212 12155550100 " + std::to_string(files_->now());
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
      char buf[512];
      while (size_t n = ::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
      ::pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  config::IdentitySettings settings() const {
    config::IdentitySettings s;
    s.enabled = true;
    s.allowPrivateX5u = true;
    s.fetchCaFile = limits_.caFile;
    s.fetchTimeout = 1500ms;
    return s;
  }

  static TestFiles* files_;
  static X5uServer* server_;
  FetchLimits limits_;
};

TestFiles* FetchTest::files_ = nullptr;
X5uServer* FetchTest::server_ = nullptr;

TEST_F(FetchTest, FetchesTheChainWithItsMaxAge) {
  FetchedCertificate f = fetchCertificate(server_->url("/chain.pem?max-age=120"), limits_);
  ASSERT_TRUE(f.ok()) << f.error;
  EXPECT_EQ(f.body, files_->read("chain.pem"));
  EXPECT_EQ(f.maxAge, 120s);
}

TEST_F(FetchTest, LoopbackIsRefusedUnlessAllowed) {
  const int before = served();
  limits_.allowPrivate = false;
  FetchedCertificate f = fetchCertificate(server_->url("/chain.pem"), limits_);
  EXPECT_NE(f.error.find("is loopback (127.0.0.1): not fetched"), std::string::npos) << f.error;
  f = fetchCertificate("https://localhost:" + std::to_string(server_->port()) + "/chain.pem",
                       limits_);
  EXPECT_NE(f.error.find("is loopback"), std::string::npos) << f.error;
  f = fetchCertificate("https://169.254.169.254/latest/meta-data", limits_);
  EXPECT_NE(f.error.find("is link-local"), std::string::npos) << f.error;
  f = fetchCertificate("https://10.0.0.1/a.pem", limits_);
  EXPECT_NE(f.error.find("is private"), std::string::npos) << f.error;
  limits_.allowPrivate = true;
  EXPECT_EQ(served(), before);  // nothing reached the server
}

TEST_F(FetchTest, HttpIsRefused) {
  FetchedCertificate f = fetchCertificate("http://127.0.0.1:1/a.pem", limits_);
  EXPECT_EQ(f.error, "x5u is not an https URL");
}

TEST_F(FetchTest, RedirectsAreFollowedUpToTheLimit) {
  limits_.maxRedirects = 2;
  FetchedCertificate f = fetchCertificate(server_->url("/redirect/1/chain.pem"), limits_);
  ASSERT_TRUE(f.ok()) << f.error;
  EXPECT_EQ(f.body, files_->read("chain.pem"));
  f = fetchCertificate(server_->url("/redirect/2/chain.pem"), limits_);
  EXPECT_EQ(f.error, "x5u redirected more than 2 times");
}

TEST_F(FetchTest, OversizedContentIsRefused) {
  FetchedCertificate f = fetchCertificate(server_->url("/big"), limits_);
  EXPECT_EQ(f.error, "x5u content larger than 65536 bytes");
}

TEST_F(FetchTest, SlowServerHitsTheDeadline) {
  limits_.timeout = 500ms;
  const auto start = std::chrono::steady_clock::now();
  FetchedCertificate f = fetchCertificate(server_->url("/slow/chain.pem"), limits_);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(f.ok());
  EXPECT_TRUE(f.error.find("took longer than 500 ms") != std::string::npos ||
              f.error.find("timed out") != std::string::npos)
      << f.error;
  EXPECT_LT(took, 3s);  // the server answers after 5 s
}

TEST_F(FetchTest, UntrustedServerCertificateIsRefused) {
  limits_.caFile = files_->path("trust.pem");  // not the web server's CA
  FetchedCertificate f = fetchCertificate(server_->url("/chain.pem"), limits_);
  EXPECT_NE(f.error.find("x5u server certificate not trusted"), std::string::npos) << f.error;
}

TEST_F(FetchTest, MissingFileIsAnHttpError) {
  FetchedCertificate f = fetchCertificate(server_->url("/nothing.pem"), limits_);
  EXPECT_EQ(f.error, "x5u answered HTTP 404");
}

TEST_F(FetchTest, VerifierFetchesOnceThenUsesTheCache) {
  auto trust = TrustStore::fromPem(files_->read("trust.pem"));
  ASSERT_TRUE(trust);
  IdentityVerifier verifier(settings(), *trust);
  auto decoded = decodePassport(sign(server_->url("/chain.pem")));
  ASSERT_TRUE(decoded) << decoded.error();
  const int before = served();

  EXPECT_FALSE(verifier.verifyCached(*decoded));
  std::promise<Verification> first;
  ASSERT_TRUE(verifier.fetchAndVerify(*decoded, [&](Verification v) { first.set_value(v); }));
  const Verification v = first.get_future().get();
  EXPECT_TRUE(v.passed()) << v.detail;
  EXPECT_EQ(served(), before + 1);

  auto again = verifier.verifyCached(*decoded);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->passed()) << again->detail;
  EXPECT_EQ(served(), before + 1);  // the cache answered
  EXPECT_EQ(verifier.stats().fetches, 1u);
  EXPECT_EQ(verifier.stats().cacheHits, 1u);
}

TEST_F(FetchTest, NoStoreIsNotCachedAndFailuresAreBadInfo) {
  auto trust = TrustStore::fromPem(files_->read("trust.pem"));
  ASSERT_TRUE(trust);
  IdentityVerifier verifier(settings(), *trust);
  auto decoded = decodePassport(sign(server_->url("/chain.pem?max-age=0")));
  ASSERT_TRUE(decoded);
  std::promise<Verification> done;
  ASSERT_TRUE(verifier.fetchAndVerify(*decoded, [&](Verification v) { done.set_value(v); }));
  EXPECT_TRUE(done.get_future().get().passed());
  EXPECT_FALSE(verifier.verifyCached(*decoded));  // max-age=0

  auto missing = decodePassport(sign(server_->url("/nothing.pem")));
  ASSERT_TRUE(missing);
  std::promise<Verification> failed;
  ASSERT_TRUE(verifier.fetchAndVerify(*missing, [&](Verification v) { failed.set_value(v); }));
  const Verification v = failed.get_future().get();
  EXPECT_EQ(v.failure, Failure::kBadInfo);
  EXPECT_EQ(v.detail, "x5u answered HTTP 404");
  EXPECT_EQ(verifier.stats().fetchFailures, 1u);
}

}  // namespace
}  // namespace tg::identity
