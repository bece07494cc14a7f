// PASSporT decoding, base64url, numbers and dates: the pieces verification is made of.

#include "identity/passport.h"

#include <gtest/gtest.h>

#include "identity/base64url.h"
#include "identity/sip_date.h"
#include "identity/telephone_number.h"

namespace tg::identity {
namespace {

std::string token(std::string_view header, std::string_view claims) {
  return encodeBase64Url(header) + "." + encodeBase64Url(claims) + "." +
         encodeBase64Url(std::string(64, 'x'));
}

constexpr std::string_view kHeader =
    R"({"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://c.test/a.pem"})";
constexpr std::string_view kClaims =
    R"({"attest":"C","dest":{"tn":["12155550100","12155550101"]},"iat":1443208345,)"
    R"("orig":{"tn":"12155551212"},"origid":"123e4567-e89b-12d3-a456-426655440000"})";

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto back = decodeBase64Url(encodeBase64Url(bytes));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
}

TEST(Base64UrlTest, RefusesPaddingForeignCharactersAndImpossibleLengths) {
  EXPECT_FALSE(decodeBase64Url("YQ=="));
  EXPECT_FALSE(decodeBase64Url("a+b/"));
  EXPECT_FALSE(decodeBase64Url("abcde"));  // 4n+1 characters
  EXPECT_FALSE(decodeBase64Url("YR"));     // 'R' leaves non-zero bits: a second spelling of "a"
  EXPECT_EQ(*decodeBase64Url("YQ"), "a");
}

TEST(PassportTest, DecodesHeaderAndClaims) {
  auto p = decodePassport(token(kHeader, kClaims));
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->alg, "ES256");
  EXPECT_EQ(p->ppt, "shaken");
  EXPECT_EQ(p->x5u, "https://c.test/a.pem");
  EXPECT_EQ(p->origTn, "12155551212");
  EXPECT_EQ(p->destTn, (std::vector<std::string>{"12155550100", "12155550101"}));
  EXPECT_EQ(p->iat, 1443208345);
  EXPECT_EQ(p->attest, Attestation::kC);
  EXPECT_EQ(p->origid, "123e4567-e89b-12d3-a456-426655440000");
  EXPECT_EQ(p->signature.size(), 64u);
  EXPECT_EQ(p->signingInput, encodeBase64Url(kHeader) + "." + encodeBase64Url(kClaims));
}

TEST(PassportTest, EachMalformationHasItsOwnReason) {
  struct Case {
    std::string input;
    std::string_view reason;
  };
  const std::string good = token(kHeader, kClaims);
  const std::string h = encodeBase64Url(kHeader);
  const std::string c = encodeBase64Url(kClaims);
  const std::string s = encodeBase64Url(std::string(64, 'x'));
  const Case cases[] = {
      {"abc", "PASSporT is not header.payload.signature"},
      {good + ".x", "PASSporT is not header.payload.signature"},
      {h + ".." + s, "PASSporT compact form (no claims) is not supported"},
      {"!!." + c + "." + s, "PASSporT header is not base64url JSON"},
      {encodeBase64Url("[1]") + "." + c + "." + s, "PASSporT header is not base64url JSON"},
      {h + "." + encodeBase64Url("{") + "." + s, "PASSporT claims are not base64url JSON"},
      {h + "." + c + "." + encodeBase64Url(std::string(63, 'x')),
       "ES256 signature is not 64 bytes"},
      {h + "." + c + ".*", "PASSporT signature is not base64url"},
      {token(R"({"alg":"none","x5u":"https://a"})", kClaims), "PASSporT alg is not ES256"},
      {token(R"({"x5u":"https://a"})", kClaims), "PASSporT header without alg"},
      {token(R"({"alg":"ES256","typ":"JWT","x5u":"https://a"})", kClaims),
       "PASSporT typ is not passport"},
      {token(R"({"alg":"ES256","ppt":7,"x5u":"https://a"})", kClaims),
       "PASSporT ppt is not a string"},
      {token(R"({"alg":"ES256","x5u":""})", kClaims), "PASSporT header without x5u"},
      {token(kHeader, R"({"dest":{"tn":["1"]},"iat":5})"), "PASSporT without orig"},
      {token(kHeader, R"({"orig":{"tn":5},"dest":{"tn":["1"]},"iat":5})"),
       "PASSporT orig without tn"},
      {token(kHeader, R"({"orig":{"tn":"1"},"iat":5})"), "PASSporT without dest"},
      {token(kHeader, R"({"orig":{"tn":"1"},"dest":{"tn":[]},"iat":5})"),
       "PASSporT dest without tn"},
      {token(kHeader, R"({"orig":{"tn":"1"},"dest":{"tn":[1]},"iat":5})"),
       "PASSporT dest tn is not a string"},
      {token(kHeader, R"({"orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":5.5})"),
       "PASSporT without integer iat"},
      {token(kHeader, R"({"orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":-1})"),
       "PASSporT iat is not a time"},
      {token(kHeader, R"({"orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":5})"),
       "SHAKEN PASSporT without attest"},
      {token(kHeader, R"({"attest":"X","orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":5})"),
       "SHAKEN attest is not A, B or C"},
      {token(kHeader, R"({"attest":"A","orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":5})"),
       "SHAKEN PASSporT without origid"},
      {token(kHeader,
             R"({"attest":"A","orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":5,"origid":"x"})"),
       "SHAKEN origid is not a UUID"},
      {std::string(kMaxPassportSize + 1, 'a'), "PASSporT too large"},
  };
  for (const Case& k : cases) {
    auto p = decodePassport(k.input);
    ASSERT_FALSE(p) << k.input;
    EXPECT_EQ(p.error(), k.reason) << k.input;
  }
}

TEST(PassportTest, PlainPassportNeedsNoShakenClaims) {
  auto p = decodePassport(token(R"({"alg":"ES256","typ":"passport","x5u":"https://a/b"})",
                                R"({"orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":5})"));
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->attest, Attestation::kNone);
}

TEST(TelephoneNumberTest, CanonicalFormOfRfc8224Section8_3) {
  EXPECT_EQ(*canonicalTn("+1 (215) 555-1212", "1"), "12155551212");
  EXPECT_EQ(*canonicalTn("+44.20.7946.0000", "1"), "442079460000");
  EXPECT_EQ(*canonicalTn("2155551212", "1"), "12155551212");
  EXPECT_EQ(*canonicalTn("12155551212", "1"), "12155551212");
  EXPECT_EQ(*canonicalTn("02079460000", "44"), "442079460000");
  EXPECT_EQ(*canonicalTn("2155551212", ""), "2155551212");
  EXPECT_FALSE(canonicalTn("alice", "1"));
  EXPECT_FALSE(canonicalTn("12", "1"));
  EXPECT_FALSE(canonicalTn("+1234567890123456", "1"));
  EXPECT_FALSE(canonicalTn("", "1"));
}

TEST(TelephoneNumberTest, NumbersOfUris) {
  auto tn = [](std::string_view text) {
    auto uri = sip::parseUri(text);
    EXPECT_TRUE(uri) << text;
    return uri ? uriTn(*uri, "1") : std::nullopt;
  };
  EXPECT_EQ(*tn("sip:+12155551212@carrier.test;user=phone"), "12155551212");
  EXPECT_EQ(*tn("sip:2155551212;npdi@carrier.test"), "12155551212");
  EXPECT_EQ(*tn("tel:+1-215-555-1212"), "12155551212");
  EXPECT_EQ(*tn("sip:%2B12155551212@carrier.test"), "12155551212");
  EXPECT_FALSE(tn("sip:alice@carrier.test"));
  EXPECT_FALSE(tn("sip:carrier.test"));
}

TEST(SipDateTest, ParsesRfc1123AndRefusesTheRest) {
  EXPECT_EQ(*parseSipDate("Sat, 13 Nov 2010 23:29:00 GMT"), 1289690940);
  EXPECT_EQ(*parseSipDate(" Thu, 1 Jan 1970 00:00:00 GMT "), 0);
  EXPECT_FALSE(parseSipDate("Sat, 13 Nov 2010 23:29:00 UTC"));
  EXPECT_FALSE(parseSipDate("13 Nov 2010 23:29:00 GMT"));
  EXPECT_FALSE(parseSipDate("Sat, 13 Foo 2010 23:29:00 GMT"));
  EXPECT_FALSE(parseSipDate("Sat, 13 Nov 2010 24:29:00 GMT"));
  EXPECT_FALSE(parseSipDate(""));
}

}  // namespace
}  // namespace tg::identity
