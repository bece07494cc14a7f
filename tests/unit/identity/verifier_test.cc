// Verification end to end on PASSporTs and certificates made by an independent implementation
// (tests/unit/identity/make_passports.py: PyJWT + python3-cryptography, a fresh test CA per
// run). Every failure path has its own case.

#include "identity/verifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "identity/base64url.h"

namespace tg::identity {
namespace {

namespace fs = std::filesystem;

void replaceFirst(std::string& s, std::string_view from, std::string_view to) {
  const size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class VerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("tg-identity-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    now_ = static_cast<int64_t>(std::time(nullptr));
    const std::string command = "/usr/bin/python3 '" + std::string(TG_SOURCE_DIR) +
                                "/tests/unit/identity/make_passports.py' '" + dir_->string() +
                                "' " + std::to_string(now_);
    built_ = std::system(command.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(built_) << "make_passports.py failed (python3-jwt, python3-cryptography)";
    auto trust = TrustStore::fromPem(readFile(*dir_ / "trust.pem"));
    ASSERT_TRUE(trust) << trust.error();
    trust_ = *trust;
    settings_.enabled = true;
    settings_.countryCode = "1";
  }

  static std::string token(const std::string& name) {
    std::string t = readFile(*dir_ / (name + ".jwt"));
    EXPECT_FALSE(t.empty()) << name;
    return t;
  }
  static std::string identity(const std::string& name) {
    return token(name) + ";info=<https://cert.example.test/sti.pem>;alg=ES256;ppt=shaken";
  }

  // An INVITE from the provider for 2155551212 -> 2155550100, as carriers send them.
  std::string invite(const std::vector<std::string>& identities, std::string extra = {}) {
    std::string m =
        "INVITE sip:+12155550100@gw.test SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
        "From: <sip:+12155551212@carrier.test;user=phone>;tag=1\r\n"
        "To: <sip:+12155550100@gw.test;user=phone>\r\n"
        "Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n";
    for (const auto& i : identities) m += "Identity: " + i + "\r\n";
    m += extra;
    m += "Content-Length: 0\r\n\r\n";
    return m;
  }

  // Both steps with the chain in `chainFile`.
  Verification verify(const std::string& text, const std::string& chainFile = "chain.pem") {
    sip::Message msg;
    EXPECT_TRUE(msg.parse(text).ok());
    const CallFacts call = callFactsOf(msg, settings_.countryCode, now_);
    ClaimCheck claims = checkClaims(call, settings_);
    if (claims.done) return *claims.done;
    return checkSignature(claims.passport, verifyChain(readFile(*dir_ / chainFile), *trust_, now_));
  }

  static void expectFailure(const Verification& v, Failure f, std::string_view detail) {
    EXPECT_EQ(v.verstat, Verstat::kFailed);
    EXPECT_EQ(v.failure, f) << v.detail;
    EXPECT_NE(v.detail.find(detail), std::string::npos) << v.detail;
  }

  static fs::path* dir_;
  static int64_t now_;
  static bool built_;
  std::shared_ptr<const TrustStore> trust_;
  config::IdentitySettings settings_;
};

fs::path* VerifierTest::dir_ = nullptr;
int64_t VerifierTest::now_ = 0;
bool VerifierTest::built_ = false;

TEST_F(VerifierTest, GoodPassportPasses) {
  const Verification v = verify(invite({identity("good")}));
  EXPECT_EQ(v.verstat, Verstat::kPassed) << v.detail;
  EXPECT_EQ(v.failure, Failure::kNone);
  EXPECT_EQ(v.attest, Attestation::kA);
  EXPECT_EQ(v.origid, "123e4567-e89b-12d3-a456-426655440000");
  EXPECT_EQ(v.x5u, "https://cert.example.test/sti.pem");
  EXPECT_NE(v.detail.find("Test SHAKEN signer"), std::string::npos) << v.detail;
}

TEST_F(VerifierTest, AttestationBAndANumberWithSeparatorsPass) {
  Verification v = verify(invite({identity("good_b")}));
  EXPECT_TRUE(v.passed()) << v.detail;
  EXPECT_EQ(v.attest, Attestation::kB);
  v = verify(invite({identity("good_plus")}));
  EXPECT_TRUE(v.passed()) << v.detail;
}

TEST_F(VerifierTest, NationalNumbersInTheRequestAreCanonicalised) {
  std::string m = invite({identity("good")});
  replaceFirst(m, "sip:+12155550100@gw.test SIP", "sip:2155550100@gw.test SIP");
  replaceFirst(m, "sip:+12155551212@", "sip:2155551212@");
  const Verification v = verify(m);
  EXPECT_TRUE(v.passed()) << v.detail;
}

TEST_F(VerifierTest, PAssertedIdentityIsTheCallerWhenPresent) {
  // The From is anonymous; the PAI carries the number that was signed.
  std::string m = invite({identity("good")}, "P-Asserted-Identity: <tel:+12155551212>\r\n");
  replaceFirst(m, "sip:+12155551212@carrier.test;user=phone", "sip:anonymous@anonymous.invalid");
  EXPECT_TRUE(verify(m).passed());
  // A PAI with another number is the caller, even when the From matches the PASSporT.
  const Verification v =
      verify(invite({identity("good")}, "P-Asserted-Identity: <tel:+12155550000>\r\n"));
  expectFailure(v, Failure::kInvalid, "is not the caller 12155550000");
}

TEST_F(VerifierTest, NoIdentityHeaderIsNoValidation) {
  const Verification v = verify(invite({}));
  EXPECT_EQ(v.verstat, Verstat::kNoValidation);
  EXPECT_EQ(v.failure, Failure::kMissing);
  EXPECT_EQ(failureCode(v.failure), 428);
}

TEST_F(VerifierTest, SignatureOfAnotherKeyFails) {
  expectFailure(verify(invite({identity("signed_by_other")})), Failure::kInvalid,
                "signature does not verify");
}

TEST_F(VerifierTest, TamperedClaimsFail) {
  // The caller number changed after signing: the provider's PASSporT with our own claims.
  std::string t = token("good");
  const size_t dot1 = t.find('.');
  const size_t dot2 = t.find('.', dot1 + 1);
  std::string claims = *decodeBase64Url(t.substr(dot1 + 1, dot2 - dot1 - 1));
  claims.replace(claims.find("\"attest\":\"A\""), 12, "\"attest\":\"B\"");
  t = t.substr(0, dot1 + 1) + encodeBase64Url(claims) + t.substr(dot2);
  expectFailure(verify(invite({t})), Failure::kInvalid, "signature does not verify");
}

TEST_F(VerifierTest, UntrustedChainFails) {
  const Verification v = verify(invite({identity("signed_by_other")}), "other_chain.pem");
  expectFailure(v, Failure::kUntrusted, "certificate not trusted: unable to get local issuer");
  EXPECT_EQ(failureCode(v.failure), 437);
}

TEST_F(VerifierTest, ExpiredCertificateFails) {
  expectFailure(verify(invite({identity("signed_by_expired")}), "expired_chain.pem"),
                Failure::kUntrusted, "certificate has expired");
}

TEST_F(VerifierTest, CertificateWithoutAP256KeyFails) {
  expectFailure(verify(invite({identity("good")}), "p384_chain.pem"), Failure::kUntrusted,
                "not EC P-256");
}

TEST_F(VerifierTest, NoCertificateInX5uContentFails) {
  sip::Result<VerifiedChain> chain = verifyChain("<html>not found</html>", *trust_, now_);
  ASSERT_FALSE(chain);
  EXPECT_EQ(chain.error(), "no certificate in x5u content");
}

TEST_F(VerifierTest, StaleAndFutureIatFail) {
  Verification v = verify(invite({identity("stale")}));
  expectFailure(v, Failure::kStale, "iat is 3600 s from the clock (max 60 s)");
  EXPECT_EQ(failureCode(v.failure), 403);
  expectFailure(verify(invite({identity("future")})), Failure::kStale,
                "iat is -3600 s from the clock");
}

TEST_F(VerifierTest, IatFarFromTheDateHeaderFails) {
  char date[64];
  const time_t old = static_cast<time_t>(now_ - 600);
  std::tm tm{};
  gmtime_r(&old, &tm);
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  expectFailure(verify(invite({identity("good")}, std::string("Date: ") + date + "\r\n")),
                Failure::kStale, "s from the Date header");
}

TEST_F(VerifierTest, FreshnessWindowIsConfigurable) {
  settings_.maxAge = std::chrono::seconds(7200);
  EXPECT_TRUE(verify(invite({identity("stale")})).passed());
}

TEST_F(VerifierTest, WrongOrigAndWrongDestFail) {
  expectFailure(verify(invite({identity("wrong_orig")})), Failure::kInvalid,
                "orig 12155559999 is not the caller 12155551212");
  expectFailure(verify(invite({identity("wrong_dest")})), Failure::kInvalid,
                "dest 12155559999 is not the called 12155550100");
}

TEST_F(VerifierTest, MalformedPassportsFailWithTheirReason) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"hs256", "PASSporT alg is not ES256"},
      {"signed_by_p384", "PASSporT alg is not ES256"},
      {"no_attest", "SHAKEN PASSporT without attest"},
      {"bad_attest", "SHAKEN attest is not A, B or C"},
      {"no_origid", "SHAKEN PASSporT without origid"},
      {"bad_origid", "SHAKEN origid is not a UUID"},
      {"no_x5u", "PASSporT header without x5u"},
      {"no_orig", "PASSporT without orig"},
      {"no_dest", "PASSporT without dest"},
      {"string_iat", "PASSporT without integer iat"},
  };
  for (const auto& [name, reason] : cases) {
    SCOPED_TRACE(name);
    const Verification v = verify(invite({token(name) + ";info=<https://x.test/a>"}));
    expectFailure(v, Failure::kInvalid, reason);
    EXPECT_EQ(failureCode(v.failure), 438);
  }
}

TEST_F(VerifierTest, X5uMustBeHttpsAndMatchInfo) {
  const Verification v = verify(invite({token("http_x5u")}));
  expectFailure(v, Failure::kBadInfo, "x5u is not an https URL");
  EXPECT_EQ(failureCode(v.failure), 436);
  expectFailure(verify(invite({token("good") + ";info=<https://elsewhere.test/x.pem>"})),
                Failure::kBadInfo, "info differs from the PASSporT's x5u");
}

TEST_F(VerifierTest, IdentityParametersMustAgreeWithThePassport) {
  expectFailure(verify(invite({token("good") + ";alg=ES384"})), Failure::kInvalid,
                "alg parameter is not ES256");
  expectFailure(verify(invite({token("good") + ";ppt=foo"})), Failure::kInvalid,
                "ppt parameter differs");
}

TEST_F(VerifierTest, MalformedIdentityHeaderFails) {
  expectFailure(verify(invite({"not a passport"})), Failure::kInvalid, "malformed Identity token");
}

TEST_F(VerifierTest, DiversionPassportsAreSkippedForTheShakenOne) {
  EXPECT_TRUE(verify(invite({token("div") + ";ppt=div", identity("good")})).passed());
  const Verification v = verify(invite({token("div") + ";ppt=div"}));
  EXPECT_EQ(v.verstat, Verstat::kNoValidation);
  EXPECT_NE(v.detail.find("only diversion"), std::string::npos);
}

TEST_F(VerifierTest, TrustBundleWithoutCertificatesIsRefused) {
  auto t = TrustStore::fromPem("nothing here");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), "no CA certificate in the trust bundle");
  EXPECT_FALSE(TrustStore::fromFile((*dir_ / "missing.pem").string()));
}

TEST(VerificationNamesTest, VerstatAndResponseCodes) {
  EXPECT_EQ(verstatName(Verstat::kPassed), "TN-Validation-Passed");
  EXPECT_EQ(verstatName(Verstat::kFailed), "TN-Validation-Failed");
  EXPECT_EQ(verstatName(Verstat::kNoValidation), "No-TN-Validation");
  EXPECT_EQ(failureReasonPhrase(Failure::kInvalid), "Invalid Identity Header");
  EXPECT_EQ(failureReasonPhrase(Failure::kBadInfo), "Bad Identity Info");
  EXPECT_EQ(failureReasonPhrase(Failure::kUntrusted), "Unsupported Credential");
  EXPECT_EQ(failureReasonPhrase(Failure::kMissing), "Use Identity Header");
  EXPECT_EQ(failureReasonPhrase(Failure::kStale), "Stale Date");
}

}  // namespace
}  // namespace tg::identity
