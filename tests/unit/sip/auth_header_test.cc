#include "sip/auth_header.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tg::sip {
namespace {

// RFC 3261 §22.4 / §25 example credentials.
constexpr std::string_view kRfc3261Credentials =
    "Digest username=\"bob\", realm=\"biloxi.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:bob@biloxi.com\", qop=auth, "
    "nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

// RFC 7616 §3.9.1 challenge, with its line folding unfolded to spaces.
constexpr std::string_view kRfc7616Challenge =
    "Digest     realm=\"http-auth@example.org\",     qop=\"auth, auth-int\",     "
    "algorithm=SHA-256,     nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",     "
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

// Challenges as the common PBXs and proxies send them.
constexpr std::string_view kAsteriskPjsip =
    "Digest realm=\"asterisk\",nonce=\"1700000000/0b6f2a1c2e0e4c1d9a8b7c6d5e4f3a2b\","
    "opaque=\"5d7a3e9f1c2b4a6e\",algorithm=md5,qop=\"auth\"";
constexpr std::string_view kAsteriskChanSip =
    "Digest algorithm=MD5, realm=\"asterisk\", nonce=\"4a3b2c1d\"";
constexpr std::string_view kFreeSwitch =
    "Digest realm=\"10.0.0.5\", nonce=\"a8c8f9b2-2d5c-4b0e-9f4a-3c1e2d5f6a7b\", algorithm=MD5, "
    "qop=\"auth\"";
constexpr std::string_view kKamailio =
    "Digest realm=\"sip.example.com\", nonce=\"ZTUxNDk5ZjYwMDAwMDAwMDI0ZDk3NzY3MGQ5OGUxN2M=\", "
    "qop=\"auth,auth-int\", algorithm=SHA-256, stale=true";
constexpr std::string_view kKamailioNoQop =
    "Digest realm=\"sip.example.com\", nonce=\"ZTUxNDk5ZjYwMDAwMDAwMDI0ZDk3NzY3MGQ5OGUxN2M=\"";

// Credentials as softphones and scanners send them.
constexpr std::string_view kLinphone =
    "Digest realm=\"sip.linphone.org\", nonce=\"JdkHXAAAAAAx5dcmAAAA5ldG2VIAAAAA\", "
    "algorithm=MD5, opaque=\"+GNywA==\", username=\"alice\",  uri=\"sip:sip.linphone.org\", "
    "response=\"a2d7a6a9e2c36e4e5d2c7c7f0c5c3b1e\", cnonce=\"ZkhXWFZxUGtq\", nc=00000001, qop=auth";
constexpr std::string_view kSipVicious =
    "Digest username=\"100\",realm=\"asterisk\",nonce=\"4a3b2c1d\",uri=\"sip:100@192.0.2.10\","
    "response=\"0d3d2c1b0a09f8e7d6c5b4a392817060\",algorithm=MD5";

void expectSameValue(const AuthValue& a, const AuthValue& b, std::string_view field) {
  EXPECT_EQ(a.present, b.present) << field;
  EXPECT_EQ(a.str(), b.str()) << field;
}

void expectSameUnknown(const UnknownAuthParams& a, const UnknownAuthParams& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    expectSameValue(a[i].value, b[i].value, a[i].name);
  }
}

void expectSame(const Credentials& a, const Credentials& b) {
  EXPECT_EQ(a.scheme, b.scheme);
  expectSameValue(a.username, b.username, "username");
  expectSameValue(a.realm, b.realm, "realm");
  expectSameValue(a.nonce, b.nonce, "nonce");
  expectSameValue(a.uri, b.uri, "uri");
  expectSameValue(a.response, b.response, "response");
  expectSameValue(a.algorithm, b.algorithm, "algorithm");
  expectSameValue(a.cnonce, b.cnonce, "cnonce");
  expectSameValue(a.opaque, b.opaque, "opaque");
  expectSameValue(a.qop, b.qop, "qop");
  expectSameValue(a.nc, b.nc, "nc");
  EXPECT_EQ(a.userhash, b.userhash);
  expectSameUnknown(a.unknown, b.unknown);
}

void expectSame(const Challenge& a, const Challenge& b) {
  EXPECT_EQ(a.scheme, b.scheme);
  expectSameValue(a.realm, b.realm, "realm");
  expectSameValue(a.domain, b.domain, "domain");
  expectSameValue(a.nonce, b.nonce, "nonce");
  expectSameValue(a.opaque, b.opaque, "opaque");
  expectSameValue(a.algorithm, b.algorithm, "algorithm");
  expectSameValue(a.qop, b.qop, "qop");
  EXPECT_EQ(a.stale, b.stale);
  EXPECT_EQ(a.userhash, b.userhash);
  expectSameUnknown(a.unknown, b.unknown);
}

TEST(AuthHeaderTest, ParsesRfc3261Credentials) {
  auto c = parseCredentials(kRfc3261Credentials);
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->isDigest());
  EXPECT_EQ(c->username.view(), "bob");
  EXPECT_TRUE(c->username.quoted);
  EXPECT_EQ(c->realm.view(), "biloxi.com");
  EXPECT_EQ(c->nonce.view(), "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  EXPECT_EQ(c->uri.view(), "sip:bob@biloxi.com");
  EXPECT_EQ(c->qop.view(), "auth");
  EXPECT_FALSE(c->qop.quoted);
  EXPECT_EQ(c->nc.view(), "00000001");
  EXPECT_EQ(c->cnonce.view(), "0a4f113b");
  EXPECT_EQ(c->response.view(), "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(c->opaque.view(), "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_FALSE(c->algorithm.present);
  EXPECT_FALSE(c->userhash);
  EXPECT_TRUE(c->unknown.empty());
  EXPECT_EQ(c->missingRequired(), "");
}

TEST(AuthHeaderTest, ValuesAreViewsIntoTheInput) {
  const std::string text(kRfc3261Credentials);
  auto c = parseCredentials(text);
  ASSERT_TRUE(c);
  EXPECT_GE(c->nonce.view().data(), text.data());
  EXPECT_LT(c->nonce.view().data(), text.data() + text.size());
}

TEST(AuthHeaderTest, ParsesRfc7616Challenge) {
  auto ch = parseChallenge(kRfc7616Challenge);
  ASSERT_TRUE(ch) << ch.error();
  EXPECT_EQ(ch->realm.view(), "http-auth@example.org");
  EXPECT_EQ(ch->qop.view(), "auth, auth-int");
  EXPECT_TRUE(ch->offersQop("auth"));
  EXPECT_TRUE(ch->offersQop("auth-int"));
  EXPECT_TRUE(ch->offersQop("AUTH"));
  EXPECT_FALSE(ch->offersQop("auth-conf"));
  EXPECT_EQ(ch->algorithm.view(), "SHA-256");
  EXPECT_EQ(ch->nonce.view(), "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
  EXPECT_EQ(ch->opaque.view(), "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  EXPECT_FALSE(ch->stale);
  EXPECT_EQ(ch->missingRequired(), "");
}

TEST(AuthHeaderTest, ParsesRfc7616UserhashChallengeAndCredentials) {
  auto ch = parseChallenge(
      "Digest realm=\"api@example.org\", qop=\"auth\", algorithm=SHA-512-256, "
      "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", "
      "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", charset=UTF-8, userhash=true");
  ASSERT_TRUE(ch) << ch.error();
  EXPECT_TRUE(ch->userhash);
  ASSERT_EQ(ch->unknown.size(), 1u);
  ASSERT_NE(ch->unknown.find("CHARSET"), nullptr);
  EXPECT_EQ(ch->unknown.find("charset")->value.view(), "UTF-8");
  EXPECT_EQ(ch->unknown.find("domain"), nullptr);

  auto c = parseCredentials(
      "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"api@example.org\", "
      "uri=\"/doe.json\", algorithm=SHA-512-256, "
      "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\","
      " nc=00000001, cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\", qop=auth, "
      "response=\"3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5\", "
      "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", userhash=false");
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->username.present);
  EXPECT_EQ(c->missingRequired(), "username");
  ASSERT_NE(c->unknown.find("username*"), nullptr);
  EXPECT_EQ(c->unknown.find("username*")->value.view(), "UTF-8''J%C3%A4s%C3%B8n%20Doe");
}

TEST(AuthHeaderTest, ParsesPbxChallenges) {
  auto a = parseChallenge(kAsteriskPjsip);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->realm.view(), "asterisk");
  EXPECT_EQ(a->algorithm.view(), "md5");
  EXPECT_TRUE(a->offersQop("auth"));
  EXPECT_FALSE(a->offersQop("auth-int"));

  auto s = parseChallenge(kAsteriskChanSip);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->nonce.view(), "4a3b2c1d");
  EXPECT_FALSE(s->qop.present);
  EXPECT_FALSE(s->offersQop("auth"));

  auto f = parseChallenge(kFreeSwitch);
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->realm.view(), "10.0.0.5");
  EXPECT_TRUE(f->offersQop("auth"));

  auto k = parseChallenge(kKamailio);
  ASSERT_TRUE(k) << k.error();
  EXPECT_TRUE(k->stale);
  EXPECT_TRUE(k->offersQop("auth-int"));
  EXPECT_EQ(k->nonce.view(), "ZTUxNDk5ZjYwMDAwMDAwMDI0ZDk3NzY3MGQ5OGUxN2M=");

  auto k2 = parseChallenge(kKamailioNoQop);
  ASSERT_TRUE(k2) << k2.error();
  EXPECT_FALSE(k2->qop.present);
  EXPECT_FALSE(k2->algorithm.present);
}

TEST(AuthHeaderTest, ParsesClientCredentials) {
  auto l = parseCredentials(kLinphone);
  ASSERT_TRUE(l) << l.error();
  EXPECT_EQ(l->username.view(), "alice");
  EXPECT_EQ(l->opaque.view(), "+GNywA==");
  EXPECT_EQ(l->missingRequired(), "");

  auto v = parseCredentials(kSipVicious);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->uri.view(), "sip:100@192.0.2.10");
  EXPECT_FALSE(v->qop.present);
  EXPECT_EQ(v->missingRequired(), "");
}

TEST(AuthHeaderTest, SchemeAndNamesAreCaseInsensitive) {
  auto c = parseCredentials("DIGEST USERNAME=\"bob\", Realm=\"x\", NC=0000000a, QOP=auth");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->isDigest());
  EXPECT_EQ(c->scheme, "DIGEST");
  EXPECT_EQ(c->username.view(), "bob");
  EXPECT_EQ(c->nc.view(), "0000000a");
  EXPECT_EQ(c->missingRequired(), "nonce");
}

TEST(AuthHeaderTest, AcceptsLwsEverywhereBetweenItems) {
  auto c = parseCredentials(
      "  Digest\t username = \"bob\" ,\r\n realm=\t\"biloxi.com\"  ,  nonce =\"n\" ,uri= \"sip:x\""
      " , response=\"r\"   ");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->username.view(), "bob");
  EXPECT_EQ(c->realm.view(), "biloxi.com");
  EXPECT_EQ(c->uri.view(), "sip:x");
  EXPECT_EQ(c->response.view(), "r");
}

TEST(AuthHeaderTest, ToleratesEmptyListElements) {
  auto ch = parseChallenge("Digest , realm=\"a\",, nonce=\"b\",");
  ASSERT_TRUE(ch) << ch.error();
  EXPECT_EQ(ch->realm.view(), "a");
  EXPECT_EQ(ch->nonce.view(), "b");
}

TEST(AuthHeaderTest, LenientWhereRealPeersDeviate) {
  // Unquoted realm/nonce, quoted algorithm, quoted qop and nc in credentials.
  auto c = parseCredentials(
      "Digest username=bob, realm=asterisk, nonce=abc/def+==, uri=sip:100@192.0.2.1:5060, "
      "response=\"x\", algorithm=\"MD5\", qop=\"auth\", nc=\"00000001\", cnonce=\"c\"");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->realm.view(), "asterisk");
  EXPECT_FALSE(c->realm.quoted);
  EXPECT_EQ(c->nonce.view(), "abc/def+==");
  EXPECT_EQ(c->uri.view(), "sip:100@192.0.2.1:5060");
  EXPECT_EQ(c->algorithm.view(), "MD5");
  EXPECT_EQ(c->qop.view(), "auth");
  EXPECT_EQ(c->nc.view(), "00000001");

  // Unquoted single qop and upper-case stale in a challenge (IP phones, cameras).
  auto ch = parseChallenge("Digest realm=\"IP Camera\", qop=auth, nonce=\"abc\", stale=FALSE");
  ASSERT_TRUE(ch) << ch.error();
  EXPECT_TRUE(ch->offersQop("auth"));
  EXPECT_FALSE(ch->stale);
}

TEST(AuthHeaderTest, QuotedValuesAreUnescapedLazily) {
  auto c = parseCredentials(R"(Digest username="a\"b\\c", realm="plain", nonce="\x")");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->username.escaped);
  EXPECT_EQ(c->username.view(), R"(a\"b\\c)");
  EXPECT_EQ(c->username.str(), R"(a"b\c)");
  EXPECT_TRUE(c->username.equals(R"(a"b\c)"));
  EXPECT_FALSE(c->username.equals(R"(a"b\)"));
  EXPECT_FALSE(c->username.equals(R"(a"b\cd)"));
  EXPECT_FALSE(c->realm.escaped);
  EXPECT_TRUE(c->realm.equals("plain"));
  EXPECT_EQ(c->nonce.str(), "x");
}

TEST(AuthHeaderTest, UnquoteHelper) {
  EXPECT_EQ(unquote(R"("a\"b")"), R"(a"b)");
  EXPECT_EQ(unquote("token"), "token");
  EXPECT_EQ(unquote(R"("")"), "");
  EXPECT_EQ(unquote(R"(")"), R"(")");
  EXPECT_EQ(unquote(R"("ends in \")"), R"(ends in \)");
}

TEST(AuthHeaderTest, KeepsOtherSchemesRaw) {
  // RFC 4475 regaut01: an unknown scheme is well formed; rejecting it is the registrar's call.
  auto c = parseCredentials("NoOneKnowsThisScheme opaque-data=here");
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->isDigest());
  EXPECT_EQ(c->scheme, "NoOneKnowsThisScheme");
  EXPECT_EQ(c->rawParams, "opaque-data=here");
  EXPECT_FALSE(c->username.present);
  EXPECT_EQ(c->missingRequired(), "");

  auto b = parseCredentials("Basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ");
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->scheme, "Basic");
  EXPECT_EQ(b->rawParams, "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");

  auto bare = parseChallenge("Negotiate");
  ASSERT_TRUE(bare) << bare.error();
  EXPECT_EQ(bare->rawParams, "");
  EXPECT_EQ(formatChallenge(*bare), "Negotiate");

  EXPECT_FALSE(parseCredentials("Basic abc\r\nVia: x"));
  EXPECT_FALSE(parseCredentials(std::string_view("Basic a\0b", 9)));
}

TEST(AuthHeaderTest, DigestWithoutParamsIsEmpty) {
  auto c = parseCredentials("Digest");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->missingRequired(), "username");
  auto ch = parseChallenge("digest   ");
  ASSERT_TRUE(ch) << ch.error();
  EXPECT_EQ(ch->missingRequired(), "realm");
}

struct BadCase {
  std::string_view text;
  std::string_view why;
};

TEST(AuthHeaderTest, RejectsMalformedCredentials) {
  const std::vector<BadCase> cases = {
      {"", "empty"},
      {"   ", "blank"},
      {",Digest", "no scheme"},
      {"Digest,username=\"a\"", "no white space after scheme"},
      {"Digest username", "name without '='"},
      {"Digest username \"a\"", "value without '='"},
      {"Digest username=", "missing value"},
      {"Digest username=  ", "missing value after LWS"},
      {"Digest username=\"abc", "unterminated quote"},
      {"Digest username=\"abc\\", "unterminated after backslash"},
      {"Digest username=\"abc\\\"", "escaped closing quote"},
      {"Digest username=\"a\", USERNAME=\"b\"", "duplicate, case-insensitive"},
      {"Digest realm=\"a\" nonce=\"b\"", "missing comma"},
      {"Digest realm=abc\"def\"", "quote after bare value"},
      {"Digest realm=\"abc\"def", "text after quoted value"},
      {"Digest =\"abc\"", "empty name"},
      {"Digest realm=\"a\rb\"", "CR inside quotes"},
      {"Digest realm=\"a\\\nb\"", "escaped LF"},
      {"Digest realm=\"a\x01"
       "b\"",
       "control character inside quotes"},
      {"Digest nc=0000001", "nc with 7 digits"},
      {"Digest nc=000000001", "nc with 9 digits"},
      {"Digest nc=0000000g", "nc not hex"},
      {"Digest nc=\"\"", "empty nc"},
      {"Digest algorithm=\"MD5 sess\"", "algorithm not a token"},
      {"Digest algorithm=\"M\\D5\"", "escaped algorithm"},
      {"Digest qop=\"auth,auth-int\"", "credential qop must be one token"},
      {"Digest userhash=maybe", "userhash not boolean"},
      {"Digest realm=\"a\", Digest realm=\"b\"", "two credentials in one value"},
      {"Digest realm=a;b", "semicolon in bare value"},
      {"Digest realm={x}", "brace in bare value"},
  };
  for (const BadCase& c : cases) {
    auto r = parseCredentials(c.text);
    EXPECT_FALSE(r) << c.why << ": " << c.text;
    if (!r) {
      EXPECT_FALSE(r.error().empty()) << c.why;
    }
  }
}

TEST(AuthHeaderTest, RejectsMalformedChallenges) {
  const std::vector<BadCase> cases = {
      {"Digest stale=maybe", "stale not boolean"},
      {"Digest stale=\"yes\"", "quoted non-boolean stale"},
      {"Digest qop=\"auth;x\"", "qop list with non-token"},
      {"Digest qop=\"au\\th\"", "escaped qop"},
      {"Digest realm=\"a\", realm=\"b\"", "duplicate realm"},
      {"Digest algorithm=SHA-256 realm=\"a\"", "missing comma"},
      {"Digest charset=UTF-8, Charset=UTF-8", "duplicate unknown"},
  };
  for (const BadCase& c : cases) {
    EXPECT_FALSE(parseChallenge(c.text)) << c.why << ": " << c.text;
  }
}

TEST(AuthHeaderTest, ErrorReasonsSaySomethingUseful) {
  EXPECT_EQ(parseCredentials("Digest username=\"abc").error(), "unterminated quoted string");
  EXPECT_EQ(parseCredentials("Digest realm").error(), "missing '=' after auth-param name");
  EXPECT_EQ(parseCredentials("Digest realm=\"a\", realm=\"a\"").error(), "duplicate auth-param");
  EXPECT_EQ(parseCredentials("Digest nc=1").error(), "invalid nc: expected 8 hex digits");
}

// For checks that keep nothing but the verdict, so a temporary string is fine.
std::string_view credentialsError(const std::string& text) {
  return parseCredentials(std::string_view(text)).error();
}
bool credentialsOk(const std::string& text) {
  return parseCredentials(std::string_view(text)).ok();
}

std::string manyParams(size_t count, std::string_view prefix) {
  std::string s = "Digest ";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) s += ", ";
    // Appended piecewise: GCC 12 at -O3 warns falsely (-Wrestrict) on chained operator+.
    s.append(prefix);
    s.append(std::to_string(i));
    s.append("=\"v\"");
  }
  return s;
}

TEST(AuthHeaderTest, EnforcesParamCountBounds) {
  // Every known name plus kMaxUnknownAuthParams unknown ones is the most a header can carry
  // (19 for credentials, within the overall kMaxAuthParams = 32); one more unknown is refused.
  std::string full =
      "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"r\", "
      "algorithm=MD5, cnonce=\"c\", opaque=\"o\", qop=auth, nc=00000001, userhash=false";
  for (size_t i = 0; i < kMaxUnknownAuthParams; ++i) full += ", x" + std::to_string(i) + "=1";
  auto c = parseCredentials(full);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->unknown.size(), kMaxUnknownAuthParams);
  EXPECT_EQ(credentialsError(full + ", y=1"), "too many unknown auth-params");
  EXPECT_EQ(credentialsError(manyParams(kMaxAuthParams + 1, "p")), "too many unknown auth-params");
  // Empty list elements hold nothing and cost nothing.
  EXPECT_TRUE(credentialsOk("Digest " + std::string(1000, ',') + "realm=\"r\""));
}

TEST(AuthHeaderTest, EnforcesValueSizeBound) {
  const std::string at(kMaxAuthValueSize, 'a');
  EXPECT_TRUE(credentialsOk("Digest nonce=\"" + at + "\""));
  EXPECT_TRUE(credentialsOk("Digest nonce=" + at));
  EXPECT_EQ(credentialsError("Digest nonce=\"" + at + "a\""), "auth-param value too long");
  EXPECT_EQ(credentialsError("Digest nonce=" + at + "a"), "auth-param value too long");
}

TEST(AuthHeaderTest, FormatsChallengeFromPlainValues) {
  Challenge ch;
  ch.realm = R"(sip "gw" \ one)";
  ch.nonce = "abc";
  ch.algorithm = "SHA-256";
  ch.qop = "auth,auth-int";
  ch.stale = true;
  ch.opaque = "";
  EXPECT_EQ(formatChallenge(ch),
            R"(Digest realm="sip \"gw\" \\ one", nonce="abc", opaque="", stale=true, )"
            R"(algorithm=SHA-256, qop="auth,auth-int")");
}

TEST(AuthHeaderTest, FormatsCredentialsAsRfc3261Writes) {
  auto c = parseCredentials(kRfc3261Credentials);
  ASSERT_TRUE(c);
  EXPECT_EQ(formatCredentials(*c),
            "Digest username=\"bob\", realm=\"biloxi.com\", "
            "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:bob@biloxi.com\", "
            "response=\"6629fae49393a05397450978507c4ef1\", "
            "cnonce=\"0a4f113b\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, "
            "nc=00000001");
}

TEST(AuthHeaderTest, FormatNeverBreaksTheHeaderLine) {
  Credentials c;
  c.username = "eve\r\nVia: SIP/2.0/UDP evil";
  c.algorithm = "MD5 sess";  // not a token: quoted rather than emitted bare
  c.userhash = true;
  std::string text = formatCredentials(c);
  EXPECT_EQ(text,
            "Digest username=\"eveVia: SIP/2.0/UDP evil\", algorithm=\"MD5 sess\", "
            "userhash=true");
  Credentials other;
  other.scheme = "Basic";
  other.rawParams = "abc\r\ndef";
  EXPECT_EQ(formatCredentials(other), "Basic abcdef");
}

TEST(AuthHeaderTest, FormatsUnknownParamsAsWritten) {
  auto ch = parseChallenge("Digest realm=\"r\", nonce=\"n\", charset=UTF-8, x-note=\"a b\"");
  ASSERT_TRUE(ch) << ch.error();
  EXPECT_EQ(formatChallenge(*ch), "Digest realm=\"r\", nonce=\"n\", charset=UTF-8, x-note=\"a b\"");
}

TEST(AuthHeaderTest, RoundTripsRealHeaders) {
  for (std::string_view text : {kRfc3261Credentials, kLinphone, kSipVicious}) {
    auto first = parseCredentials(text);
    ASSERT_TRUE(first) << first.error() << ": " << text;
    const std::string formatted = formatCredentials(*first);
    auto second = parseCredentials(formatted);
    ASSERT_TRUE(second) << second.error() << ": " << formatted;
    expectSame(*first, *second);
    EXPECT_EQ(formatCredentials(*second), formatted);
  }
  for (std::string_view text : {kRfc7616Challenge, kAsteriskPjsip, kAsteriskChanSip, kFreeSwitch,
                                kKamailio, kKamailioNoQop}) {
    auto first = parseChallenge(text);
    ASSERT_TRUE(first) << first.error() << ": " << text;
    const std::string formatted = formatChallenge(*first);
    auto second = parseChallenge(formatted);
    ASSERT_TRUE(second) << second.error() << ": " << formatted;
    expectSame(*first, *second);
    EXPECT_EQ(formatChallenge(*second), formatted);
  }
}

TEST(AuthHeaderTest, RoundTripsEscapesAndLenientForms) {
  auto first = parseCredentials(
      R"(Digest username="a\"b\\c\d", realm=asterisk, algorithm="MD5", qop="auth", nc="0000000F")"
      R"(, cnonce="", x=y, y="q\"")");
  ASSERT_TRUE(first) << first.error();
  const std::string formatted = formatCredentials(*first);
  EXPECT_EQ(formatted,
            R"(Digest username="a\"b\\cd", realm="asterisk", algorithm=MD5, cnonce="", qop=auth, )"
            R"(nc=0000000F, x=y, y="q\"")");
  auto second = parseCredentials(formatted);
  ASSERT_TRUE(second) << second.error();
  expectSame(*first, *second);
}

TEST(AuthHeaderTest, RoundTripsOtherSchemes) {
  auto first = parseChallenge("NoOneKnowsThisScheme   opaque-data=here, x=\"y\"");
  ASSERT_TRUE(first);
  EXPECT_EQ(formatChallenge(*first), "NoOneKnowsThisScheme opaque-data=here, x=\"y\"");
}

// Every prefix of every sample must parse or fail cleanly (ASan/UBSan watch the reads), and
// whatever parses must survive format -> parse.
TEST(AuthHeaderTest, EveryTruncationIsSafe) {
  const std::string_view samples[] = {
      kRfc3261Credentials,
      kRfc7616Challenge,
      kAsteriskPjsip,
      kAsteriskChanSip,
      kFreeSwitch,
      kKamailio,
      kLinphone,
      kSipVicious,
      R"(Digest username="a\"b\\c", realm=x, nc="00000001", userhash=true, stale=false)",
      "NoOneKnowsThisScheme opaque-data=here",
  };
  size_t parsed = 0;
  for (std::string_view sample : samples) {
    for (size_t len = 0; len <= sample.size(); ++len) {
      // A fresh heap copy so a read past the end is caught.
      const std::string prefix(sample.substr(0, len));
      if (auto c = parseCredentials(prefix)) {
        ++parsed;
        const std::string formatted = formatCredentials(*c);
        auto again = parseCredentials(formatted);
        ASSERT_TRUE(again) << again.error() << ": " << formatted;
        expectSame(*c, *again);
      }
      if (auto ch = parseChallenge(prefix)) {
        ++parsed;
        const std::string formatted = formatChallenge(*ch);
        auto again = parseChallenge(formatted);
        ASSERT_TRUE(again) << again.error() << ": " << formatted;
        expectSame(*ch, *again);
      }
    }
  }
  EXPECT_GT(parsed, 0u);
}

TEST(AuthHeaderTest, UnknownParamsListIsBounded) {
  UnknownAuthParams list;
  for (size_t i = 0; i < kMaxUnknownAuthParams; ++i) EXPECT_TRUE(list.add("x", "y"));
  EXPECT_FALSE(list.add("x", "y"));
  EXPECT_EQ(list.size(), kMaxUnknownAuthParams);
}

}  // namespace
}  // namespace tg::sip
