#include "sip/uri.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tg::sip {
namespace {

using namespace std::string_view_literals;

Uri mustParse(std::string_view text) {
  auto r = parseUri(text);
  EXPECT_TRUE(r.ok()) << "'" << text << "': " << r.error();
  return r.ok() ? *r : Uri{};
}

void expectInvalid(std::string_view text) {
  auto r = parseUri(text);
  EXPECT_FALSE(r.ok()) << "accepted '" << text << "'";
  EXPECT_TRUE(r.ok() || !r.error().empty());
}

bool equivalent(std::string_view a, std::string_view b) {
  const Uri ua = mustParse(a);
  const Uri ub = mustParse(b);
  const bool ab = uriEquivalent(ua, ub);
  EXPECT_EQ(ab, uriEquivalent(ub, ua)) << "asymmetric: " << a << " vs " << b;
  return ab;
}

std::string unescaped(std::string_view in) {
  std::string out;
  EXPECT_TRUE(unescape(in, out)) << in;
  return out;
}

// --- sip / sips structure -------------------------------------------------------------------

TEST(UriTest, ParsesSimpleSipUri) {
  const Uri u = mustParse("sip:alice@atlanta.com");
  EXPECT_EQ(u.scheme, UriScheme::kSip);
  EXPECT_EQ(u.schemeText, "sip");
  EXPECT_TRUE(u.isSipOrSips());
  EXPECT_TRUE(u.hasUser);
  EXPECT_EQ(u.user, "alice");
  EXPECT_FALSE(u.hasPassword);
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.hostType, HostType::kDomain);
  EXPECT_FALSE(u.hasPort);
  EXPECT_EQ(u.port, 0);
  EXPECT_TRUE(u.params.empty());
  EXPECT_EQ(u.headers, "");
  EXPECT_EQ(u.text, "sip:alice@atlanta.com");
  EXPECT_EQ(u.opaque, "");
}

TEST(UriTest, ParsesEveryComponent) {
  const Uri u = mustParse("sips:alice:secretword@atlanta.com:5061;transport=tcp;lr?subject=hi&x=y");
  EXPECT_EQ(u.scheme, UriScheme::kSips);
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.hasPassword);
  EXPECT_EQ(u.password, "secretword");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_TRUE(u.hasPort);
  EXPECT_EQ(u.port, 5061);
  EXPECT_EQ(u.params.text(), ";transport=tcp;lr");
  EXPECT_EQ(u.params.size(), 2u);
  EXPECT_EQ(u.params.get("transport"), "tcp");
  EXPECT_TRUE(u.params.has("lr"));
  EXPECT_EQ(u.headers, "subject=hi&x=y");
}

TEST(UriTest, HostOnlyUris) {
  Uri u = mustParse("sip:registrar.example.com");
  EXPECT_FALSE(u.hasUser);
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.host, "registrar.example.com");

  u = mustParse("sip:127.0.0.1:5080");  // mpart01 Route
  EXPECT_FALSE(u.hasUser);
  EXPECT_EQ(u.hostType, HostType::kIPv4);
  EXPECT_EQ(u.port, 5080);

  u = mustParse("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com");
  EXPECT_FALSE(u.hasUser);
  EXPECT_EQ(u.params.get("method"), "REGISTER");
  EXPECT_EQ(u.headers, "to=alice%40atlanta.com");
}

TEST(UriTest, SchemeIsCaseInsensitive) {
  Uri u = mustParse("SIP:user@host.com");
  EXPECT_EQ(u.scheme, UriScheme::kSip);
  EXPECT_EQ(u.schemeText, "SIP");
  EXPECT_EQ(mustParse("SiPs:user@host.com").scheme, UriScheme::kSips);
  EXPECT_EQ(mustParse("TEL:+1234").scheme, UriScheme::kTel);
  // Prefixes of known schemes are other schemes.
  EXPECT_EQ(mustParse("sipx:user@host").scheme, UriScheme::kOther);
  EXPECT_EQ(mustParse("si:user@host").scheme, UriScheme::kOther);
}

TEST(UriTest, RfcExamplesFromSection19_1_3) {
  Uri u = mustParse("sip:alice;day=tuesday@atlanta.com");
  EXPECT_EQ(u.user, "alice;day=tuesday");
  EXPECT_TRUE(u.params.empty());

  u = mustParse("sip:+1-212-555-1212:1234@gateway.com;user=phone");
  EXPECT_EQ(u.user, "+1-212-555-1212");
  EXPECT_EQ(u.password, "1234");
  EXPECT_EQ(u.params.get("user"), "phone");

  u = mustParse("sips:1212@gateway.com");
  EXPECT_EQ(u.scheme, UriScheme::kSips);

  u = mustParse("sip:alice@192.0.2.4");
  EXPECT_EQ(u.hostType, HostType::kIPv4);

  mustParse("sip:alice@atlanta.com?subject=project%20x&priority=urgent");
  mustParse("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com");
}

// --- userinfo ---------------------------------------------------------------------------------

TEST(UriTest, UserInfo) {
  Uri u = mustParse("sip:u:@h.com");
  EXPECT_TRUE(u.hasPassword);
  EXPECT_EQ(u.password, "");

  u = mustParse("sip:u%40x:p%3A@h.com");
  EXPECT_EQ(u.user, "u%40x");
  EXPECT_EQ(u.password, "p%3A");

  // Every user-unreserved and mark character.
  u = mustParse("sip:a-_.!~*'()&=+$,;?/z@h.com");
  EXPECT_EQ(u.user, "a-_.!~*'()&=+$,;?/z");

  expectInvalid("sip:@h.com");
  expectInvalid("sip::pw@h.com");
  expectInvalid("sip:a@b@c.com");     // '@' in a user must be escaped
  expectInvalid("sip:u:p@ss@h.com");  // nor may a password hold one
  expectInvalid("sip:us\"er@h.com");
  expectInvalid("sip:us[er@h.com");
  expectInvalid("sip:u:p;w@h.com");  // ';' is not a password character
  expectInvalid("sip:u:p?w@h.com");
  expectInvalid("sip:u:p:w@h.com");
  expectInvalid("sip:u@");
  expectInvalid("sip:u@:5060");
}

TEST(UriTest, UnusualButValidUserAndPassword) {
  // RFC 4475 intmeth.
  const Uri u = mustParse(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
      "(doesn't-it)@example.com");
  EXPECT_EQ(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(u.host, "example.com");
  mustParse("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com");
}

// --- host -------------------------------------------------------------------------------------

TEST(UriTest, Ipv4Hosts) {
  EXPECT_EQ(mustParse("sip:0.0.0.0").hostType, HostType::kIPv4);
  EXPECT_EQ(mustParse("sip:255.255.255.255").hostType, HostType::kIPv4);
  EXPECT_EQ(mustParse("sip:u@010.001.1.1").hostType, HostType::kIPv4);
  expectInvalid("sip:u@256.1.1.1");
  expectInvalid("sip:u@1.2.3.256");
  expectInvalid("sip:u@1.2.3");
  expectInvalid("sip:u@1.2.3.4.5");
  expectInvalid("sip:u@1234.1.1.1");
  expectInvalid("sip:u@0001.1.1.1");
  expectInvalid("sip:u@1..2.3");
  expectInvalid("sip:u@1.2.3.");
  expectInvalid("sip:u@123");
}

TEST(UriTest, Ipv6Hosts) {
  Uri u = mustParse("sip:u@[::1]");
  EXPECT_EQ(u.hostType, HostType::kIPv6);
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.hostAddress(), "::1");
  EXPECT_FALSE(u.hasPort);

  u = mustParse("sips:[2001:db8::1]:5061;transport=tls");
  EXPECT_EQ(u.host, "[2001:db8::1]");
  EXPECT_EQ(u.hostAddress(), "2001:db8::1");
  EXPECT_EQ(u.port, 5061);
  EXPECT_EQ(u.params.get("transport"), "tls");

  EXPECT_EQ(mustParse("sip:[::ffff:192.0.2.1]").hostAddress(), "::ffff:192.0.2.1");
  EXPECT_EQ(mustParse("sip:[2001:DB8:0:0:0:0:0:1]").hostType, HostType::kIPv6);
  EXPECT_EQ(mustParse("sip:h.com;maddr=[::1]").params.get("maddr"), "[::1]");

  expectInvalid("sip:u@[::1");
  expectInvalid("sip:u@::1");
  expectInvalid("sip:u@[]");
  expectInvalid("sip:u@[:::1]");
  expectInvalid("sip:u@[2001:db8::g]");
  expectInvalid("sip:u@[1:2:3:4:5:6:7:8:9]");
  expectInvalid("sip:u@[192.0.2.1]");
  expectInvalid("sip:u@[fe80::1%25eth0]");
  expectInvalid("sip:u@[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]");
  expectInvalid("sip:u@[::1]x");
  expectInvalid("sip:u@[::1]:");
}

TEST(UriTest, HostNames) {
  EXPECT_EQ(mustParse("sip:u@localhost").hostType, HostType::kDomain);
  EXPECT_EQ(mustParse("sip:u@example.com.").host, "example.com.");
  EXPECT_EQ(mustParse("sip:u@a-b.x1.example.com").hostType, HostType::kDomain);
  EXPECT_EQ(mustParse("sip:u@1and1.com").hostType, HostType::kDomain);
  EXPECT_EQ(mustParse("sip:u@HOST.Example.COM").host, "HOST.Example.COM");
  EXPECT_EQ(mustParse("sip:u@a").hostType, HostType::kDomain);
  expectInvalid("sip:u@-a.com");
  expectInvalid("sip:u@a-.com");
  expectInvalid("sip:u@a.-com");
  expectInvalid("sip:u@a..com");
  expectInvalid("sip:u@.a.com");
  expectInvalid("sip:u@a.com..");
  expectInvalid("sip:u@.");
  expectInvalid("sip:u@host_name.com");
  expectInvalid("sip:u@host.1com");
  expectInvalid("sip:u@h*st.com");
  expectInvalid("sip:u@h.com/path");
  expectInvalid("sip:");
}

TEST(UriTest, Ports) {
  EXPECT_EQ(mustParse("sip:h.com:0").port, 0);
  EXPECT_TRUE(mustParse("sip:h.com:0").hasPort);
  EXPECT_EQ(mustParse("sip:h.com:65535").port, 65535);
  EXPECT_EQ(mustParse("sip:h.com:05060").port, 5060);
  EXPECT_EQ(mustParse("sip:u@1.2.3.4:5060;lr").port, 5060);
  EXPECT_EQ(mustParse("sip:h.com:1?a=b").port, 1);
  expectInvalid("sip:h.com:65536");
  expectInvalid("sip:h.com:99999");
  expectInvalid("sip:h.com:005060");  // more than five digits
  expectInvalid("sip:h.com:4294967297");
  expectInvalid("sip:h.com:");
  expectInvalid("sip:h.com:;lr");
  expectInvalid("sip:h.com:-1");
  expectInvalid("sip:h.com:+1");
  expectInvalid("sip:h.com:50a");
  expectInvalid("sip:h.com:5060:5060");
}

// --- parameters and headers -------------------------------------------------------------------

TEST(UriTest, Parameters) {
  Uri u = mustParse("sip:services.example.com;lr;unknownwith=value;unknown-no-value");  // wsinv
  EXPECT_EQ(u.params.size(), 3u);
  EXPECT_TRUE(u.params.has("LR"));
  EXPECT_EQ(u.params.get("unknownwith"), "value");

  // param-unreserved and mark characters in names and values.
  u = mustParse("sip:h.com;a=b[c]/d:e&f+g$h(i)!~*'-_.;x[1]/:&+$()=y");
  EXPECT_EQ(u.params.size(), 2u);
  EXPECT_EQ(u.params.get("a"), "b[c]/d:e&f+g$h(i)!~*'-_.");
  EXPECT_EQ(u.params.get("x[1]/:&+$()"), "y");

  // Escapes are kept raw in params.
  u = mustParse("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");  // esc01
  EXPECT_EQ(u.user, "cal%6Cer");
  EXPECT_EQ(u.params.size(), 2u);
  EXPECT_EQ(u.params.get("n%61me"), "v%61lue%25%34%31");

  expectInvalid("sip:h.com;");
  expectInvalid("sip:h.com;;lr");
  expectInvalid("sip:h.com;=x");
  expectInvalid("sip:h.com;x=");
  expectInvalid("sip:h.com;x==y");
  expectInvalid("sip:h.com;x=\"q\"");  // quoted values are for header parameters
  expectInvalid("sip:h.com;x=a,b");
  expectInvalid("sip:h.com;x=a`b");
  // No '@' in parameters: this one reads as a user part.
  EXPECT_EQ(mustParse("sip:h.com;x=a@b").user, "h.com;x=a");
  expectInvalid("sip:h.com;x=%4");
  expectInvalid("sip:h.com;x%G1=1");
  expectInvalid("sip:h.com;x=[::1");
  expectInvalid("sip:user@example.com;");
}

TEST(UriTest, Headers) {
  Uri u = mustParse("sip:user@example.com?Route=%3Csip:example.com%3E");  // escruri
  EXPECT_EQ(u.headers, "Route=%3Csip:example.com%3E");
  EXPECT_TRUE(u.params.empty());

  u = mustParse("sip:h.com;lr?a=&b=c?d/[]:+$");
  EXPECT_EQ(u.params.get("lr"), "");
  EXPECT_EQ(u.headers, "a=&b=c?d/[]:+$");

  expectInvalid("sip:h.com?");
  expectInvalid("sip:h.com?a");
  expectInvalid("sip:h.com?=b");
  expectInvalid("sip:h.com?a=b&");
  expectInvalid("sip:h.com?a=b&&c=d");
  expectInvalid("sip:h.com?a=%ZZ");
  expectInvalid("sip:h.com?a=%2");
  expectInvalid("sip:h.com?a=b c");
  expectInvalid("sip:h.com?a=\"b\"");
  expectInvalid("sip:h.com?a=<b>");
}

TEST(UriTest, TrailingGarbageAfterHost) {
  expectInvalid("sip:u@h.com/");
  expectInvalid("sip:u@h.com,x");
  expectInvalid("sip:u@h.com#frag");
  expectInvalid("sip:u@1.2.3.4x");
}

// --- escapes ----------------------------------------------------------------------------------

TEST(UriTest, Escapes) {
  // RFC 4475 esc01.
  Uri u = mustParse("sip:sips%3Auser%40example.com@example.net");
  EXPECT_EQ(u.scheme, UriScheme::kSip);
  EXPECT_EQ(u.user, "sips%3Auser%40example.com");
  EXPECT_EQ(u.host, "example.net");
  EXPECT_EQ(unescaped(u.user), "sips:user@example.com");
  EXPECT_EQ(unescaped(mustParse("sip:I%20have%20spaces@example.net").user), "I have spaces");
  // RFC 4475 semiuri: the escaped '@' belongs to the user part.
  u = mustParse("sip:user;par=u%40example.net@example.com");
  EXPECT_EQ(u.user, "user;par=u%40example.net");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_TRUE(u.params.empty());

  expectInvalid("sip:%G1@h.com");
  expectInvalid("sip:%4@h.com");
  expectInvalid("sip:%@h.com");
  expectInvalid("sip:u%4");
  expectInvalid("sip:u:%zz@h.com");
  expectInvalid("sip:u@h%41.com");  // no escapes in host names
}

TEST(UriTest, EscapedNulIsValid) {
  // RFC 4475 escnull.
  Uri u = mustParse("sip:null-%00-null@example.com");
  EXPECT_EQ(unescaped(u.user), std::string("null-\0-null", 11));
  EXPECT_EQ(unescaped(mustParse("sip:%00@host5.example.com").user), std::string(1, '\0'));
  EXPECT_EQ(unescaped(mustParse("sip:%00%00@host5.example.com").user), std::string(2, '\0'));
  EXPECT_FALSE(equivalent("sip:%00@host5.example.com", "sip:%00%00@host5.example.com"));
  EXPECT_TRUE(equivalent("sip:%00@host5.example.com", "sip:%00@HOST5.example.com"));
}

TEST(UriTest, Unescape) {
  std::string out = "unchanged";
  EXPECT_TRUE(unescape("", out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(unescape("a%41%4a%4A%7e%25", out));
  EXPECT_EQ(out, "aAJJ~%");
  EXPECT_TRUE(unescape("%ff", out));
  EXPECT_EQ(out, "\xff");
  out = "unchanged";
  EXPECT_FALSE(unescape("%", out));
  EXPECT_FALSE(unescape("a%4", out));
  EXPECT_FALSE(unescape("%G1", out));
  EXPECT_FALSE(unescape("%1G", out));
  EXPECT_FALSE(unescape("ok%41%", out));
  EXPECT_EQ(out, "unchanged");
}

// --- characters that never belong in a URI ----------------------------------------------------

TEST(UriTest, RejectsWhiteSpaceControlsAndAngleBrackets) {
  expectInvalid("");
  expectInvalid("sip:user@example.com; lr");  // RFC 4475 lwsruri
  expectInvalid("<sip:user@example.com>");    // RFC 4475 ltgtruri
  expectInvalid("sip:user@example.com>");
  expectInvalid("sip:<user>@example.com");
  expectInvalid(" sip:u@h.com");
  expectInvalid("sip:u@h.com ");
  expectInvalid("sip: u@h.com");
  expectInvalid("sip:u @h.com");
  expectInvalid("sip:u@h.com\t");
  expectInvalid("sip:u@h.com\r\n");
  expectInvalid("sip:u@h.com;lr\n");
  expectInvalid("sip:u\x01@h.com");
  expectInvalid("sip:u@h.com;x=\x7f");
  expectInvalid("sip:u@h.com?a=\x7f");
  expectInvalid("sip:u\xc3\xa9@h.com");
  expectInvalid("sip:u@h\xc3\xa9.com");
  expectInvalid("sip:u@h.com?a=\xc3\xa9");
  expectInvalid("sip:u@h.com;x=\xc3\xa9");
  expectInvalid("sip:u\0@h.com"sv);
  expectInvalid("sip:u@h.com\0"sv);
  expectInvalid("tel:+1 234");
  expectInvalid("tel:+1234;x=\t");
  expectInvalid("foo:a b");
  expectInvalid("foo:a<b");
  expectInvalid("foo:a\"b");
  expectInvalid("foo:a\x01");
  expectInvalid("foo:\xc3\xa9");
}

// --- tel --------------------------------------------------------------------------------------

TEST(UriTest, TelUris) {
  Uri u = mustParse("tel:+1-201-555-0123");
  EXPECT_EQ(u.scheme, UriScheme::kTel);
  EXPECT_FALSE(u.isSipOrSips());
  EXPECT_TRUE(u.hasUser);
  EXPECT_EQ(u.user, "+1-201-555-0123");
  EXPECT_EQ(u.hostType, HostType::kNone);
  EXPECT_EQ(u.host, "");
  EXPECT_TRUE(u.params.empty());

  u = mustParse("tel:7042;phone-context=example.com");
  EXPECT_EQ(u.user, "7042");
  EXPECT_EQ(u.params.get("phone-context"), "example.com");

  u = mustParse("tel:863-1234;phone-context=+1-914-555;ext=22;isub=%41b");
  EXPECT_EQ(u.user, "863-1234");
  EXPECT_EQ(u.params.size(), 3u);
  EXPECT_EQ(u.params.get("phone-context"), "+1-914-555");

  EXPECT_EQ(mustParse("tel:+1(201)555.0123").user, "+1(201)555.0123");
  EXPECT_EQ(mustParse("tel:*#aB12;phone-context=x.com").user, "*#aB12");
  EXPECT_EQ(mustParse("tel:#31#;phone-context=x.com").user, "#31#");

  expectInvalid("tel:");
  expectInvalid("tel:+");
  expectInvalid("tel:+-.()");
  expectInvalid("tel:-");
  expectInvalid("tel:+12a");  // hex digits only in local numbers
  expectInvalid("tel:+1+2");
  expectInvalid("tel:12/34");
  expectInvalid("tel:123;");
  expectInvalid("tel:;phone-context=x");
  expectInvalid("tel:+1234?x=y");
  expectInvalid("tel:+1234;x=%4");
  expectInvalid("tel:+1234;x=\"q\"");
  expectInvalid("tel:u@h.com");
}

// --- other schemes ----------------------------------------------------------------------------

TEST(UriTest, OtherSchemes) {
  Uri u = mustParse("soap.beep://192.0.2.103:3002");  // RFC 4475 novelsc
  EXPECT_EQ(u.scheme, UriScheme::kOther);
  EXPECT_EQ(u.schemeText, "soap.beep");
  EXPECT_EQ(u.opaque, "//192.0.2.103:3002");
  EXPECT_FALSE(u.hasUser);
  EXPECT_EQ(u.hostType, HostType::kNone);

  u = mustParse("nobodyKnowsThisScheme:totallyopaquecontent");  // unkscm
  EXPECT_EQ(u.schemeText, "nobodyKnowsThisScheme");
  EXPECT_EQ(u.opaque, "totallyopaquecontent");

  // unksm2
  EXPECT_EQ(mustParse("isbn:2983792873").opaque, "2983792873");
  EXPECT_EQ(mustParse("http://www.example.com").schemeText, "http");
  EXPECT_EQ(mustParse("name:John_Smith").opaque, "John_Smith");

  EXPECT_EQ(mustParse("urn:service:sos").opaque, "service:sos");
  EXPECT_EQ(mustParse("x+y-z.1:a%20b?c=d;e@f").scheme, UriScheme::kOther);
  EXPECT_EQ(mustParse("mailto:joe@example.com").opaque, "joe@example.com");

  expectInvalid("foo:");
  expectInvalid("foo");
  expectInvalid(":foo");
  expectInvalid("1foo:x");
  expectInvalid("+foo:x");
  expectInvalid("fo_o:x");
  expectInvalid("fo o:x");
  expectInvalid("foo:%zz");
  expectInvalid("foo:%4");
  expectInvalid("foo:<x>");
}

// --- robustness -------------------------------------------------------------------------------

// Every prefix of a valid URI, each in a buffer of exactly its size so that the address
// sanitizer catches a read past the end.
TEST(UriTest, TruncatedInputsNeverReadOutside) {
  const std::string_view uris[] = {
      "sips:alice:secret%20word@[2001:db8::1]:5061;transport=tls;maddr=[::1];lr"
      "?subject=project%20x&priority=urgent",
      "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
      "sip:user@192.0.2.1:65535;a=(b)",
      "tel:+1-201-555-0123;phone-context=+1-914;ext=22",
      "soap.beep://192.0.2.103:3002",
  };
  for (std::string_view full : uris) {
    ASSERT_TRUE(parseUri(full).ok()) << full;
    for (size_t len = 0; len <= full.size(); ++len) {
      const std::vector<char> buf(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
      const std::string_view prefix(buf.data(), buf.size());
      auto r = parseUri(prefix);
      if (!r.ok()) continue;
      // Views point into the input.
      for (std::string_view part : {r->schemeText, r->user, r->password, r->host, r->headers,
                                    r->text, r->opaque, r->params.text()}) {
        if (part.empty()) continue;
        EXPECT_GE(part.data(), prefix.data());
        EXPECT_LE(part.data() + part.size(), prefix.data() + prefix.size());
      }
      EXPECT_TRUE(uriEquivalent(*r, *r)) << prefix;
    }
  }
  // Some prefixes are valid URIs, others are not.
  EXPECT_TRUE(parseUri("sip:u@h").ok());
  EXPECT_FALSE(parseUri("sip:u@").ok());
  EXPECT_FALSE(parseUri("sip:u@[::1").ok());
  EXPECT_FALSE(parseUri("sip:u@h;").ok());
  EXPECT_FALSE(parseUri("sip:u@h;x=%2").ok());
}

// --- comparison (RFC 3261 §19.1.4) ------------------------------------------------------------

TEST(UriEquivalentTest, RfcEquivalentExamples) {
  EXPECT_TRUE(
      equivalent("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));

  EXPECT_TRUE(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(equivalent("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));

  EXPECT_TRUE(equivalent("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                         "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));

  EXPECT_TRUE(equivalent("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                         "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
}

TEST(UriEquivalentTest, RfcNonEquivalentExamples) {
  // Different user names.
  EXPECT_FALSE(
      equivalent("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  // Can resolve to different ports.
  EXPECT_FALSE(equivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  // Can resolve to different transports.
  EXPECT_FALSE(equivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  // Can resolve to different port and transports.
  EXPECT_FALSE(equivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
  // Different header component.
  EXPECT_FALSE(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
  // Even though that's what phone21.boxesbybob.com resolves to.
  EXPECT_FALSE(equivalent("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
}

TEST(UriEquivalentTest, EscapedForms) {
  // RFC 4475 esc01: To is sip:%75se%72@example.com.
  EXPECT_TRUE(equivalent("sip:%75se%72@example.com", "sip:user@example.com"));
  EXPECT_TRUE(equivalent("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
                         "sip:caller@host5.example.net;lr;name=value%2541"));
  EXPECT_FALSE(equivalent("sip:cal%6Cer@host5.example.net;name=value%2541",
                          "sip:caller@host5.example.net;name=value%41"));
  EXPECT_FALSE(equivalent("sip:sips%3Auser%40example.com@example.net",
                          "sip:sips%3Auser%40example.com@example.com"));
  // Escaped names of significant parameters still count.
  EXPECT_FALSE(equivalent("sip:u@h.com;%74ransport=tcp", "sip:u@h.com"));
  EXPECT_TRUE(equivalent("sip:u@h.com;%74ransport=tcp", "sip:u@h.com;transport=TCP"));
  EXPECT_TRUE(equivalent("sip:u:p%41@h.com", "sip:u:pA@h.com"));
  EXPECT_TRUE(equivalent("sip:u@h.com?a=%41", "sip:u@h.com?A=A"));
}

TEST(UriEquivalentTest, SchemeUserPasswordHostPort) {
  EXPECT_FALSE(equivalent("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
  EXPECT_TRUE(equivalent("sips:alice@atlanta.com", "SIPS:alice@ATLANTA.com"));
  EXPECT_FALSE(equivalent("sip:alice@atlanta.com", "sip:Alice@atlanta.com"));
  EXPECT_FALSE(equivalent("sip:alice@atlanta.com", "sip:atlanta.com"));
  EXPECT_FALSE(equivalent("sip:alice@atlanta.com", "sip:alice:@atlanta.com"));
  EXPECT_FALSE(equivalent("sip:alice:a@atlanta.com", "sip:alice:A@atlanta.com"));
  EXPECT_TRUE(equivalent("sip:alice:a@atlanta.com", "sip:alice:a@atlanta.com"));
  EXPECT_FALSE(equivalent("sip:alice@atlanta.com:5060", "sip:alice@atlanta.com:5061"));
  EXPECT_TRUE(equivalent("sip:alice@atlanta.com:5060", "sip:alice@atlanta.com:05060"));
  EXPECT_FALSE(equivalent("sip:alice@atlanta.com", "sip:alice@atlanta.com."));
  EXPECT_FALSE(equivalent("sip:alice@atlanta.com", "sip:alice@atlanta.org"));
}

TEST(UriEquivalentTest, Ipv6HostsCompareAsAddresses) {
  EXPECT_TRUE(equivalent("sip:u@[::1]", "sip:u@[0:0:0:0:0:0:0:1]"));
  EXPECT_TRUE(equivalent("sip:u@[2001:DB8::1]:5060", "sip:u@[2001:db8:0::1]:5060"));
  EXPECT_FALSE(equivalent("sip:u@[::1]", "sip:u@[::2]"));
  EXPECT_FALSE(equivalent("sip:u@[::ffff:127.0.0.1]", "sip:u@127.0.0.1"));
}

TEST(UriEquivalentTest, Parameters) {
  // Each significant parameter must be in both or neither, with the same value.
  for (std::string_view name : {"user", "ttl", "method", "maddr", "transport"}) {
    const std::string a = "sip:u@h.com;" + std::string(name) + "=v1";
    const std::string b = "sip:u@h.com;" + std::string(name) + "=V1";
    const std::string c = "sip:u@h.com;" + std::string(name) + "=v2";
    EXPECT_FALSE(equivalent(a, "sip:u@h.com")) << name;
    EXPECT_TRUE(equivalent(a, b)) << name;
    EXPECT_FALSE(equivalent(a, c)) << name;
  }
  // Other parameters only when both carry them.
  EXPECT_TRUE(equivalent("sip:u@h.com;lr", "sip:u@h.com"));
  EXPECT_TRUE(equivalent("sip:u@h.com;lr", "sip:u@h.com;LR"));
  EXPECT_FALSE(equivalent("sip:u@h.com;lr", "sip:u@h.com;lr=on"));
  EXPECT_FALSE(equivalent("sip:u@h.com;foo=1", "sip:u@h.com;foo=2"));
  EXPECT_TRUE(equivalent("sip:u@h.com;foo=1;bar=2", "sip:u@h.com;bar=2;baz=3"));
  EXPECT_TRUE(equivalent("sip:u@h.com;x=1;x=2", "sip:u@h.com;x=1;x=2"));
  EXPECT_TRUE(equivalent("sip:u@h.com;x=1;x=2", "sip:u@h.com;x=1"));
  EXPECT_FALSE(equivalent("sip:u@h.com;x=1;x=2", "sip:u@h.com;x=2"));
}

TEST(UriEquivalentTest, Headers) {
  EXPECT_FALSE(equivalent("sip:u@h.com?a=b", "sip:u@h.com"));
  EXPECT_FALSE(equivalent("sip:u@h.com?a=b", "sip:u@h.com?a=b&c=d"));
  EXPECT_FALSE(equivalent("sip:u@h.com?a=b", "sip:u@h.com?a=B"));
  EXPECT_TRUE(equivalent("sip:u@h.com?a=b", "sip:u@h.com?A=b"));
  EXPECT_TRUE(equivalent("sip:u@h.com?a=b&c=", "sip:u@h.com?c=&a=b"));
  // Escapes are decoded before comparing, whatever the case of their hex digits.
  EXPECT_TRUE(equivalent("sip:u@h.com?Route=%3Csip:example.com%3E",
                         "sip:u@h.com?route=%3csip:example.com%3e"));
  EXPECT_FALSE(equivalent("sip:u@h.com?Route=%3Csip:example.com%3E",
                          "sip:u@h.com?Route=%3Csip:example.org%3E"));
}

TEST(UriEquivalentTest, TelAndOtherSchemes) {
  EXPECT_TRUE(equivalent("tel:+1-201-555-0123", "tel:+12015550123"));
  EXPECT_TRUE(equivalent("tel:+1(201)555.0123", "TEL:+1-201-555-0123"));
  EXPECT_FALSE(equivalent("tel:+1-201-555-0123", "tel:+1-201-555-0124"));
  EXPECT_FALSE(equivalent("tel:+12015550123", "tel:12015550123;phone-context=x.com"));
  EXPECT_TRUE(equivalent("tel:7042;phone-context=EXAMPLE.com;ext=1",
                         "tel:7042;ext=1;Phone-Context=example.com"));
  EXPECT_FALSE(equivalent("tel:7042;phone-context=example.com", "tel:7042"));
  EXPECT_TRUE(equivalent("tel:*aB#;phone-context=x.com", "tel:*Ab#;phone-context=x.com"));
  EXPECT_FALSE(equivalent("tel:+1234", "sip:+1234@h.com;user=phone"));

  EXPECT_TRUE(equivalent("isbn:2983792873", "ISBN:2983792873"));
  EXPECT_TRUE(equivalent("name:John%5fSmith", "name:John_Smith"));
  EXPECT_FALSE(equivalent("name:John_Smith", "name:John_Smyth"));
  EXPECT_FALSE(equivalent("http://www.example.com", "https://www.example.com"));
}

TEST(UriEquivalentTest, ReflexiveOnParsedUris) {
  for (std::string_view text :
       {"sip:u@h.com", "sips:a:b@[::1]:1;x=1;x=2;lr?a=b&a=c", "tel:+1;ext=2;ext=3", "sip:%00@h.com",
        "foo:bar", "sip:h.com;maddr=1.2.3.4;method=INVITE"}) {
    const Uri u = mustParse(text);
    EXPECT_TRUE(uriEquivalent(u, u)) << text;
  }
}

}  // namespace
}  // namespace tg::sip
