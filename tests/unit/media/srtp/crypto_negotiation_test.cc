#include "media/srtp/crypto_negotiation.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "srtp_test_util.h"

namespace tg::media::srtp {
namespace {

using test::attributeWithKey;
using Outcome = CryptoChoice::Outcome;

constexpr std::array kGcmThenCm = {CryptoSuite::kAeadAes128Gcm, CryptoSuite::kAesCm128HmacSha1_80};
constexpr std::array kCmOnly = {CryptoSuite::kAesCm128HmacSha1_80};

std::string lineFor(CryptoSuite suite, uint32_t tag, uint8_t fill = 1) {
  return formatCryptoAttribute(attributeWithKey(suite, fill, tag));
}

CryptoChoice choose(const std::vector<std::string>& lines, bool secureProfile,
                    std::span<const CryptoSuite> preference, SrtpMode mode) {
  std::vector<std::string_view> views(lines.begin(), lines.end());
  return chooseCrypto(views, secureProfile, preference, mode);
}

TEST(CryptoNegotiation, LocalPreferenceWinsOverOfferOrder) {
  const std::vector<std::string> offer = {lineFor(CryptoSuite::kAesCm128HmacSha1_80, 1),
                                          lineFor(CryptoSuite::kAeadAes128Gcm, 2)};
  const CryptoChoice choice = choose(offer, true, kGcmThenCm, SrtpMode::kRequired);
  ASSERT_EQ(choice.outcome, Outcome::kSrtp) << choice.reason;
  EXPECT_EQ(choice.accepted->tag, 2u);
  EXPECT_EQ(choice.accepted->suite, CryptoSuite::kAeadAes128Gcm);
}

TEST(CryptoNegotiation, SkipsLinesItCannotHonour) {
  const std::vector<std::string> offer = {
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
      "2 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
      lineFor(CryptoSuite::kAesCm128HmacSha1_80, 3)};
  const CryptoChoice choice = choose(offer, true, kCmOnly, SrtpMode::kRequired);
  ASSERT_EQ(choice.outcome, Outcome::kSrtp) << choice.reason;
  EXPECT_EQ(choice.accepted->tag, 3u);
}

TEST(CryptoNegotiation, RequiredRefusesWithTheReason) {
  const CryptoChoice none = choose({}, false, kCmOnly, SrtpMode::kRequired);
  EXPECT_EQ(none.outcome, Outcome::kRefused);
  EXPECT_EQ(none.reason, "SRTP required: no a=crypto offered");

  const CryptoChoice notAllowed =
      choose({lineFor(CryptoSuite::kAeadAes256Gcm, 1)}, true, kCmOnly, SrtpMode::kRequired);
  EXPECT_EQ(notAllowed.outcome, Outcome::kRefused);
  EXPECT_EQ(notAllowed.reason, "SRTP required: no acceptable a=crypto (crypto suite not allowed)");

  const CryptoChoice mki = choose(
      {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32"}, true,
      kCmOnly, SrtpMode::kRequired);
  EXPECT_EQ(mki.outcome, Outcome::kRefused);
  EXPECT_EQ(mki.reason, "SRTP required: no acceptable a=crypto (MKI not supported)");
}

TEST(CryptoNegotiation, OptionalFallsBackToRtpOnlyWhenTheProfileAllowsIt) {
  const CryptoChoice plain = choose({}, false, kCmOnly, SrtpMode::kOptional);
  EXPECT_EQ(plain.outcome, Outcome::kPlainRtp);
  EXPECT_FALSE(plain.accepted.has_value());

  // RTP/AVP with a line trunkguard cannot honour (best-effort SRTP): plain RTP.
  const CryptoChoice bestEffort =
      choose({lineFor(CryptoSuite::kAeadAes256Gcm, 1)}, false, kCmOnly, SrtpMode::kOptional);
  EXPECT_EQ(bestEffort.outcome, Outcome::kPlainRtp);

  // RTP/SAVP cannot be answered without crypto: never a silent downgrade.
  const CryptoChoice savp =
      choose({lineFor(CryptoSuite::kAeadAes256Gcm, 1)}, true, kCmOnly, SrtpMode::kOptional);
  EXPECT_EQ(savp.outcome, Outcome::kRefused);
  EXPECT_EQ(savp.reason, "RTP/SAVP offer with no acceptable a=crypto (crypto suite not allowed)");

  const CryptoChoice secure =
      choose({lineFor(CryptoSuite::kAesCm128HmacSha1_80, 5)}, false, kCmOnly, SrtpMode::kOptional);
  EXPECT_EQ(secure.outcome, Outcome::kSrtp);
}

TEST(CryptoNegotiation, OffIgnoresCryptoButRefusesSavp) {
  const std::vector<std::string> offer = {lineFor(CryptoSuite::kAesCm128HmacSha1_80, 1)};
  EXPECT_EQ(choose(offer, false, kCmOnly, SrtpMode::kOff).outcome, Outcome::kPlainRtp);
  const CryptoChoice savp = choose(offer, true, kCmOnly, SrtpMode::kOff);
  EXPECT_EQ(savp.outcome, Outcome::kRefused);
  EXPECT_EQ(savp.reason, "SRTP is off but the offer requires it (RTP/SAVP)");
}

TEST(CryptoNegotiation, AnswerEchoesTagAndSuiteWithAFreshKey) {
  const CryptoAttribute offered = attributeWithKey(CryptoSuite::kAeadAes256Gcm, 1, 42);
  const auto answer = makeAnswerLine(offered);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->tag, 42u);
  EXPECT_EQ(answer->suite, CryptoSuite::kAeadAes256Gcm);
  EXPECT_EQ(answer->key.size(), 44u);
  EXPECT_FALSE(answer->key == offered.key);
}

TEST(CryptoNegotiation, OfferLinesAndTheAnswerToThem) {
  const auto offer = makeOfferLines(kGcmThenCm);
  ASSERT_EQ(offer.size(), 2u);
  EXPECT_EQ(offer[0].tag, 1u);
  EXPECT_EQ(offer[0].suite, CryptoSuite::kAeadAes128Gcm);
  EXPECT_EQ(offer[1].tag, 2u);
  EXPECT_EQ(offer[1].suite, CryptoSuite::kAesCm128HmacSha1_80);
  EXPECT_FALSE(offer[0].key == offer[1].key);
  for (const CryptoAttribute& line : offer) {
    EXPECT_TRUE(parseCryptoAttribute(formatCryptoAttribute(line)).ok());
  }

  const auto answered = acceptAnswerLine(offer, lineFor(CryptoSuite::kAesCm128HmacSha1_80, 2, 77));
  ASSERT_TRUE(answered.ok()) << answered.error();
  EXPECT_EQ(answered->tag, 2u);

  EXPECT_EQ(acceptAnswerLine(offer, lineFor(CryptoSuite::kAesCm128HmacSha1_80, 3)).error(),
            "answer a=crypto tag was not offered");
  EXPECT_EQ(acceptAnswerLine(offer, lineFor(CryptoSuite::kAesCm128HmacSha1_32, 2)).error(),
            "answer changes the offered crypto suite");
  EXPECT_EQ(acceptAnswerLine(offer, "2 AES_CM_128_HMAC_SHA1_80 inline:abcde").error(),
            "master key is not valid base64");
}

TEST(CryptoNegotiation, ModeNames) {
  for (const SrtpMode mode : {SrtpMode::kRequired, SrtpMode::kOptional, SrtpMode::kOff}) {
    EXPECT_EQ(srtpModeFromName(srtpModeName(mode)), mode);
  }
  EXPECT_FALSE(srtpModeFromName("mandatory").has_value());
}

}  // namespace
}  // namespace tg::media::srtp
