#include "media/srtp/crypto_attribute.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "srtp_test_util.h"

namespace tg::media::srtp {
namespace {

using test::attributeWithKey;

// The key of RFC 4568 §10's example (30 bytes: AES_CM_128 key || salt).
constexpr std::string_view kRfcKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

std::string line(std::string_view rest) { return "1 AES_CM_128_HMAC_SHA1_80 " + std::string(rest); }

std::string_view refusal(std::string_view value) {
  const auto parsed = parseCryptoAttribute(value);
  EXPECT_FALSE(parsed.ok()) << value;
  return parsed.error();
}

TEST(CryptoAttribute, ParsesTheRfc4568ExampleWithoutItsMki) {
  const auto parsed = parseCryptoAttribute(line("inline:" + std::string(kRfcKey) + "|2^20"));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->tag, 1u);
  EXPECT_EQ(parsed->suite, CryptoSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(parsed->key.size(), 30u);
  EXPECT_EQ(parsed->key.toBase64(), kRfcKey);
  ASSERT_TRUE(parsed->lifetime.has_value());
  EXPECT_EQ(*parsed->lifetime, uint64_t{1} << 20);
  EXPECT_EQ(formatCryptoAttribute(*parsed), line("inline:" + std::string(kRfcKey) + "|2^20"));
}

TEST(CryptoAttribute, EverySuiteRoundTripsWithItsKeyLength) {
  for (const CryptoSuiteInfo& info : allCryptoSuites()) {
    const CryptoAttribute a = attributeWithKey(info.suite, 9, 7);
    const std::string text = formatCryptoAttribute(a);
    EXPECT_EQ(text, "7 " + std::string(info.name) + " inline:" + a.key.toBase64());
    const auto parsed = parseCryptoAttribute(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error();
    EXPECT_EQ(*parsed, a) << text;
  }
}

TEST(CryptoAttribute, RefusesAKeyOfAnotherSuitesLength) {
  // A 46-byte AES_256_CM key under the 128-bit suite, and a 30-byte key under GCM (28 bytes).
  const CryptoAttribute longKey = attributeWithKey(CryptoSuite::kAesCm256HmacSha1_80);
  EXPECT_EQ(refusal(line("inline:" + longKey.key.toBase64())),
            "master key length does not match the crypto suite");
  EXPECT_EQ(refusal("1 AEAD_AES_128_GCM inline:" + std::string(kRfcKey)),
            "master key length does not match the crypto suite");
}

TEST(CryptoAttribute, AcceptsUnpaddedBase64) {
  const CryptoAttribute gcm = attributeWithKey(CryptoSuite::kAeadAes128Gcm);
  std::string b64 = gcm.key.toBase64();
  ASSERT_EQ(b64.substr(b64.size() - 2), "==");
  b64.resize(b64.size() - 2);
  const auto parsed = parseCryptoAttribute("1 AEAD_AES_128_GCM inline:" + b64);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->key, gcm.key);
}

TEST(CryptoAttribute, RefusesMalformedBase64) {
  EXPECT_EQ(refusal(line("inline:PS1uQCVeeCFCanVm!jkpPywjNWhcYD0mXXtxaVBR")),
            "malformed a=crypto attribute");
  EXPECT_EQ(refusal(line("inline:PS1uQCVeeCFC=nVmcjkpPywjNWhcYD0mXXtxaVBR")),
            "master key is not valid base64");
  EXPECT_EQ(refusal(line("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRx")),
            "master key is not valid base64");
  EXPECT_EQ(refusal(line("inline:")), "malformed a=crypto attribute");
}

TEST(CryptoAttribute, RefusesUnknownSuitesAndMalformedLines) {
  EXPECT_EQ(refusal("1 F8_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey)),
            "unsupported crypto suite");
  EXPECT_EQ(refusal("1 aes_cm_128_hmac_sha1_80 inline:" + std::string(kRfcKey)),
            "unsupported crypto suite");
  EXPECT_EQ(refusal("1 AES_CM_128_HMAC_SHA1_80"), "malformed a=crypto attribute");
  EXPECT_EQ(refusal("x AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey)),
            "malformed a=crypto attribute");
  EXPECT_EQ(refusal(""), "malformed a=crypto attribute");
}

TEST(CryptoAttribute, RefusesMkiAndSeveralKeys) {
  EXPECT_EQ(refusal(line("inline:" + std::string(kRfcKey) + "|2^20|1:32")), "MKI not supported");
  EXPECT_EQ(refusal(line("inline:" + std::string(kRfcKey) + "|1:4")), "MKI not supported");
  EXPECT_EQ(refusal(line("inline:" + std::string(kRfcKey) + ";inline:" + std::string(kRfcKey))),
            "several master keys (MKI) not supported");
}

TEST(CryptoAttribute, Lifetimes) {
  const auto decimal = parseCryptoAttribute(line("inline:" + std::string(kRfcKey) + "|1000"));
  ASSERT_TRUE(decimal.ok());
  EXPECT_EQ(*decimal->lifetime, 1000u);
  EXPECT_EQ(formatCryptoAttribute(*decimal), line("inline:" + std::string(kRfcKey) + "|1000"));
  EXPECT_TRUE(parseCryptoAttribute(line("inline:" + std::string(kRfcKey) + "|2^48")).ok());
  EXPECT_EQ(refusal(line("inline:" + std::string(kRfcKey) + "|2^49")), "key lifetime above 2^48");
  EXPECT_EQ(refusal(line("inline:" + std::string(kRfcKey) + "|0")), "key lifetime of 0");
}

TEST(CryptoAttribute, SessionParameters) {
  const std::string base = line("inline:" + std::string(kRfcKey));
  EXPECT_TRUE(parseCryptoAttribute(base + " KDR=0").ok());
  const auto wsh = parseCryptoAttribute(base + " WSH=256");
  ASSERT_TRUE(wsh.ok());
  EXPECT_EQ(wsh->windowSizeHint, 256u);
  EXPECT_EQ(formatCryptoAttribute(*wsh), base + " WSH=256");

  EXPECT_EQ(refusal(base + " KDR=1"), "key derivation rate (KDR) not supported");
  EXPECT_EQ(refusal(base + " KDR=x"), "malformed KDR parameter");
  EXPECT_EQ(refusal(base + " WSH=32"), "WSH below 64");
  EXPECT_EQ(refusal(base + " UNENCRYPTED_SRTP"), "unencrypted or unauthenticated SRTP refused");
  EXPECT_EQ(refusal(base + " UNENCRYPTED_SRTCP"), "unencrypted or unauthenticated SRTP refused");
  EXPECT_EQ(refusal(base + " UNAUTHENTICATED_SRTP"), "unencrypted or unauthenticated SRTP refused");
  EXPECT_EQ(refusal(base + " FEC_ORDER=FEC_SRTP"), "FEC session parameters not supported");
  EXPECT_EQ(refusal(base + " KDR=0 FOO=1"), "unknown session parameter");
}

TEST(CryptoAttribute, KeysAreRedactedWhenFormattedForLogs) {
  const auto parsed = parseCryptoAttribute(line("inline:" + std::string(kRfcKey)));
  ASSERT_TRUE(parsed.ok());
  const std::string logged = fmt::format("{}", *parsed);
  EXPECT_EQ(logged, "1 AES_CM_128_HMAC_SHA1_80 inline:<redacted 30 bytes>");
  EXPECT_EQ(logged.find(kRfcKey.substr(0, 8)), std::string::npos);
  EXPECT_EQ(fmt::format("{}", parsed->key), "<redacted 30 bytes>");
}

TEST(CryptoAttribute, ContextIsKeptOnlyForAnUnchangedLine) {
  const CryptoAttribute current = attributeWithKey(CryptoSuite::kAesCm128HmacSha1_80, 1, 1);
  CryptoAttribute same = *parseCryptoAttribute(formatCryptoAttribute(current));
  EXPECT_TRUE(keepsSrtpContext(current, same));

  EXPECT_FALSE(keepsSrtpContext(current, attributeWithKey(current.suite, 2, 1)));  // new key
  EXPECT_FALSE(keepsSrtpContext(current, attributeWithKey(current.suite, 1, 2)));  // new tag
  CryptoAttribute otherSuite = current;
  otherSuite.suite = CryptoSuite::kAesCm128HmacSha1_32;
  EXPECT_FALSE(keepsSrtpContext(current, otherSuite));
  same.lifetime = uint64_t{1} << 31;
  EXPECT_FALSE(keepsSrtpContext(current, same));
}

TEST(MasterKey, GeneratedKeysHaveTheSuitesLengthAndDiffer) {
  std::set<std::string> seen;
  for (const CryptoSuiteInfo& info : allCryptoSuites()) {
    for (int i = 0; i < 4; ++i) {
      const auto key = MasterKey::generate(info.suite);
      ASSERT_TRUE(key.has_value());
      EXPECT_EQ(key->size(), info.keySaltLength());
      EXPECT_TRUE(seen.insert(key->toBase64()).second);
    }
  }
}

TEST(MasterKey, RefusesMoreBytesThanAnySuiteUses) {
  const std::vector<uint8_t> tooLong(kMaxKeySaltLength + 1, 0x55);
  EXPECT_FALSE(MasterKey::fromBytes(tooLong).has_value());
  EXPECT_FALSE(MasterKey::fromBase64(std::string(68, 'A')).has_value());
}

}  // namespace
}  // namespace tg::media::srtp
