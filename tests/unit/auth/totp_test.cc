#include "auth/totp.h"

#include <gtest/gtest.h>

#include <string>

namespace tg::auth {
namespace {

// RFC 6238 Appendix B: the seeds are the ASCII strings "1234567890" repeated to 20, 32 and 64
// bytes; 8 digits.
std::string hexOf(std::string_view ascii) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : ascii) {
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

TEST(TotpTest, Rfc6238AppendixBVectors) {
  const std::string sha1 = hexOf("12345678901234567890");
  const std::string sha256 = hexOf("12345678901234567890123456789012");
  const std::string sha512 =
      hexOf("1234567890123456789012345678901234567890123456789012345678901234");
  struct Row {
    std::time_t t;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const Row rows[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(totpCode(sha1, r.t, {TotpHash::kSha1, 8, 30}), r.sha1) << r.t;
    EXPECT_EQ(totpCode(sha256, r.t, {TotpHash::kSha256, 8, 30}), r.sha256) << r.t;
    EXPECT_EQ(totpCode(sha512, r.t, {TotpHash::kSha512, 8, 30}), r.sha512) << r.t;
  }
}

TEST(TotpTest, VerifiesWithinOneStepAndRefusesReuse) {
  const std::string secret = hexOf("12345678901234567890");
  const TotpParams p{TotpHash::kSha1, 8, 30};
  const std::time_t now = 1111111111;  // step 37037037
  const auto step = verifyTotp(secret, now, "14050471", 0, p);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(*step, 37037037);
  EXPECT_FALSE(verifyTotp(secret, now, "14050471", *step, p));  // the same code again
  // The code of the step before is still good 30 s later, but not once a later one was used.
  EXPECT_TRUE(verifyTotp(secret, now + 30, "14050471", 0, p));
  EXPECT_FALSE(verifyTotp(secret, now + 90, "14050471", 0, p));  // two steps late
  EXPECT_FALSE(verifyTotp(secret, now, "14050472", 0, p));
  EXPECT_FALSE(verifyTotp(secret, now, "1405047", 0, p));
  EXPECT_FALSE(verifyTotp(secret, now, "abcdefgh", 0, p));
}

TEST(TotpTest, NewSecretsRoundTrip) {
  const std::string secret = newTotpSecretHex();
  EXPECT_EQ(secret.size(), 40u);
  EXPECT_NE(secret, newTotpSecretHex());
  const std::time_t now = 1800000000;
  const std::string code = totpCode(secret, now);
  EXPECT_EQ(code.size(), 6u);
  EXPECT_TRUE(verifyTotp(secret, now, code, 0).has_value());
}

TEST(TotpTest, OtpauthUriCarriesBase32Secret) {
  const std::string uri = otpauthUri("trunkguard", "alice admin", hexOf("12345678901234567890"));
  EXPECT_EQ(uri,
            "otpauth://totp/trunkguard:alice%20admin?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=trunkguard&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpTest, QrCodeRendersAsBlocksOrAscii) {
  const std::string uri = "otpauth://totp/trunkguard:alice?secret=GEZDGNBVGY3TQOJQ";
  const std::string blocks = renderQr(uri);
  ASSERT_FALSE(blocks.empty());
  EXPECT_NE(blocks.find("\u2588"), std::string::npos);
  const std::string ascii = renderQr(uri, QrStyle::kAscii);
  const size_t lineLength = ascii.find('\n');
  ASSERT_NE(lineLength, std::string::npos);
  // Square: as many lines as modules across.
  size_t lines = 0;
  for (const char c : ascii) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lineLength, 2 * lines);
  EXPECT_EQ(lines % 4, 1u);  // 17 + 4k modules + two quiet modules each side
}

}  // namespace
}  // namespace tg::auth
