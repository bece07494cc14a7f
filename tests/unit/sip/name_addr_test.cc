#include "sip/name_addr.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tg::sip {
namespace {

using namespace std::string_view_literals;

NameAddr mustParse(std::string_view text) {
  auto r = parseNameAddr(text);
  EXPECT_TRUE(r.ok()) << "'" << text << "': " << r.error();
  return r.ok() ? *r : NameAddr{};
}

void expectInvalid(std::string_view text) {
  auto r = parseNameAddr(text);
  EXPECT_FALSE(r.ok()) << "accepted '" << text << "'";
  EXPECT_TRUE(r.ok() || !r.error().empty());
}

TEST(NameAddrTest, QuotedDisplayName) {
  const NameAddr na = mustParse(R"("Quoted \"name\"" <sip:u@h.com>;tag=x)");
  EXPECT_EQ(na.displayName, R"("Quoted \"name\"")");
  EXPECT_EQ(unquoteDisplayName(na.displayName), R"(Quoted "name")");
  EXPECT_TRUE(na.angleBrackets);
  EXPECT_EQ(na.uri.text, "sip:u@h.com");
  EXPECT_EQ(na.uri.user, "u");
  EXPECT_EQ(na.uri.host, "h.com");
  EXPECT_EQ(na.tag(), "x");
  EXPECT_EQ(na.params.size(), 1u);
}

TEST(NameAddrTest, TokenDisplayName) {
  NameAddr na = mustParse("Bob <sip:u@h.com>");
  EXPECT_EQ(na.displayName, "Bob");
  EXPECT_TRUE(na.angleBrackets);
  EXPECT_TRUE(na.params.empty());
  EXPECT_EQ(na.tag(), "");

  na = mustParse("Joe  Bloggs <sip:joe@h.com>;tag=1");
  EXPECT_EQ(na.displayName, "Joe  Bloggs");
  EXPECT_EQ(unquoteDisplayName(na.displayName), "Joe Bloggs");
  EXPECT_EQ(na.tag(), "1");

  // RFC 4475 intmeth: every token character in display-name words.
  na = mustParse("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>");
  EXPECT_EQ(na.displayName, "token1~` token2'+_ token3*%!.-");
}

TEST(NameAddrTest, NoWhiteSpaceBeforeAngleBracket) {
  // RFC 4475 lwsdisp.
  NameAddr na = mustParse("caller<sip:caller@example.com>;tag=323");
  EXPECT_EQ(na.displayName, "caller");
  EXPECT_EQ(na.uri.user, "caller");
  EXPECT_EQ(na.tag(), "323");

  na = mustParse(R"("Bob"<sip:u@h.com>)");
  EXPECT_EQ(na.displayName, R"("Bob")");
}

TEST(NameAddrTest, AngleBracketsWithoutDisplayName) {
  const NameAddr na = mustParse("<sip:u@h.com;transport=tcp>;tag=1;expires=60");
  EXPECT_EQ(na.displayName, "");
  EXPECT_TRUE(na.angleBrackets);
  // URI parameters stay on the URI, header parameters on the name-addr.
  EXPECT_EQ(na.uri.params.get("transport"), "tcp");
  EXPECT_FALSE(na.uri.params.has("tag"));
  EXPECT_EQ(na.params.size(), 2u);
  EXPECT_EQ(na.params.get("expires"), "60");
  EXPECT_EQ(na.tag(), "1");
}

TEST(NameAddrTest, BareAddrSpecParametersBelongToTheHeader) {
  NameAddr na = mustParse("sip:u@h.com;tag=x");
  EXPECT_FALSE(na.angleBrackets);
  EXPECT_EQ(na.displayName, "");
  EXPECT_EQ(na.uri.text, "sip:u@h.com");
  EXPECT_TRUE(na.uri.params.empty());
  EXPECT_EQ(na.tag(), "x");

  // RFC 4475 cparam01 / cparam02.
  na = mustParse("sip:+19725552222@gw1.example.net;unknownparam");
  EXPECT_TRUE(na.params.has("unknownparam"));
  EXPECT_TRUE(na.uri.params.empty());
  na = mustParse("<sip:+19725552222@gw1.example.net;unknownparam>");
  EXPECT_TRUE(na.params.empty());
  EXPECT_TRUE(na.uri.params.has("unknownparam"));

  na = mustParse("sip:u@h.com");
  EXPECT_FALSE(na.angleBrackets);
  EXPECT_TRUE(na.params.empty());

  // Header parameters may be quoted, unlike URI parameters.
  na = mustParse(R"(sip:u@h.com;x="a;b<c>";tag=1)");
  EXPECT_EQ(na.params.get("x"), R"("a;b<c>")");
  EXPECT_EQ(na.tag(), "1");

  // RFC 3261 §20.10: a URI with ';' in the user part must be in angle brackets; bare, its
  // remainder is read as header parameters, which here are malformed.
  expectInvalid("sip:user;par=u%40example.net@example.com");
  EXPECT_EQ(mustParse("<sip:user;par=u%40example.net@example.com>").uri.user,
            "user;par=u%40example.net");
}

TEST(NameAddrTest, LinearWhiteSpace) {
  NameAddr na = mustParse("  <sip:u@h.com>  ");
  EXPECT_EQ(na.uri.text, "sip:u@h.com");
  na = mustParse("\r\n <sip:u@h.com>;tag=1 \r\n");
  EXPECT_EQ(na.tag(), "1");
  na = mustParse("<sip:u@h.com> ; tag = x ; q=0.5");
  EXPECT_EQ(na.tag(), "x");
  EXPECT_EQ(na.params.get("q"), "0.5");
  na = mustParse("\tBob\t<sip:u@h.com>");
  EXPECT_EQ(na.displayName, "Bob");
  na = mustParse(R"("Bob"   <sip:u@h.com>)");
  EXPECT_EQ(na.displayName, R"("Bob")");

  // RFC 4475 wsinv, after header unfolding left the CRLFs in place.
  na = mustParse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
  EXPECT_EQ(na.uri.host, "chair-dnrc.example.com");
  EXPECT_EQ(na.tag(), "1918181833n");

  na = mustParse(
      "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8");
  EXPECT_EQ(na.displayName, R"("J Rosenberg \\\"")");
  EXPECT_EQ(unquoteDisplayName(na.displayName), R"(J Rosenberg \")");
  EXPECT_EQ(na.tag(), "98asjd8");

  na = mustParse(
      "\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue "
      ";\r\n  secondparam ; q = 0.33");
  EXPECT_EQ(unquoteDisplayName(na.displayName), R"(Quoted string "")");
  EXPECT_EQ(na.params.size(), 3u);
  EXPECT_EQ(na.params.get("newparam"), "newvalue");
  EXPECT_TRUE(na.params.has("secondparam"));
  EXPECT_EQ(na.params.get("q"), "0.33");
}

TEST(NameAddrTest, QuotedDisplayNameContents) {
  // RFC 4475 baddn / badaspec use quotes to carry a comma legally.
  NameAddr na = mustParse(R"("Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423)");
  EXPECT_EQ(unquoteDisplayName(na.displayName), "Bell, Alexander");

  na = mustParse(R"("" <sip:u@h.com>)");
  EXPECT_EQ(na.displayName, R"("")");
  EXPECT_EQ(unquoteDisplayName(na.displayName), "");

  // RFC 4475 esc02: '%' in a display name is not an escape.
  na = mustParse(R"("%Z%45" <sip:resource@example.com>)");
  EXPECT_EQ(unquoteDisplayName(na.displayName), "%Z%45");

  // RFC 4475 intmeth: quoted-pair may escape controls, NUL included.
  na = mustParse("\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:u@h.com>"sv);
  EXPECT_EQ(unquoteDisplayName(na.displayName), "BEL:\x07 NUL:\0 DEL:\x7f"sv);

  // UTF-8 is qdtext.
  na = mustParse("\"Ren\xc3\xa9\" <sip:u@h.com>");
  EXPECT_EQ(unquoteDisplayName(na.displayName), "Ren\xc3\xa9");

  // Quotes and angle brackets inside quotes do not end the display name.
  na = mustParse(R"("<sip:evil@x.com> \"x\"" <sip:u@h.com>)");
  EXPECT_EQ(na.uri.user, "u");

  expectInvalid("\"a\x01\" <sip:u@h.com>");      // raw control
  expectInvalid("\"a\\\r\n b\" <sip:u@h.com>");  // quoted-pair may not escape CR
  expectInvalid("\"a\x7f\" <sip:u@h.com>");
}

TEST(NameAddrTest, UnterminatedQuote) {
  expectInvalid(R"("Mr. J. User <sip:j.user@example.com>)");  // RFC 4475 quotbal
  expectInvalid("\"");
  expectInvalid(R"("abc\)");
  expectInvalid(R"("abc\" <sip:u@h.com>)");
}

TEST(NameAddrTest, NonTokenCharactersInUnquotedDisplayName) {
  // RFC 4475 baddn (liberal: rejecting is allowed).
  expectInvalid("Bell, Alexander <sip:a.g.bell@example.com>;tag=43");
  expectInvalid("Watson, Thomas <sip:t.watson@example.org>");
  expectInvalid("Bob@home <sip:u@h.com>");
  expectInvalid("Bob: <sip:u@h.com>");
  expectInvalid("Ren\xc3\xa9 <sip:u@h.com>");
  expectInvalid("Bob \"x\" <sip:u@h.com>");
  expectInvalid("Bob\x01 <sip:u@h.com>");
}

TEST(NameAddrTest, SpacesInsideAddrSpec) {
  // RFC 4475 badaspec (liberal: rejecting is allowed).
  expectInvalid(R"("Watson, Thomas" < sip:t.watson@example.org >)");
  expectInvalid("<sip:u@h.com >");
  expectInvalid("< sip:u@h.com>");
  expectInvalid("<sip:u @h.com>");
  expectInvalid("sip:u @h.com");
  expectInvalid("sip:u@h.com x");
}

TEST(NameAddrTest, MalformedStructure) {
  expectInvalid("");
  expectInvalid("   ");
  expectInvalid("\r\n");
  expectInvalid("<>");
  expectInvalid("<");
  expectInvalid(">");
  expectInvalid("<sip:u@h.com");
  expectInvalid("Bob <sip:u@h.com");
  expectInvalid("Bob");
  expectInvalid("Bob sip:u@h.com");
  expectInvalid(R"("Bob")");
  expectInvalid(R"("Bob" sip:u@h.com)");
  expectInvalid(R"("Bob" x <sip:u@h.com>)");
  expectInvalid("<<sip:u@h.com>>");
  expectInvalid("<sip:u@h.com>>");
  expectInvalid("<sip:u@h.com>x");
  expectInvalid("<sip:u@h.com> x");
  expectInvalid("<sip:u@h.com> <sip:v@h.com>");
  expectInvalid("<sip:u@h.com>;");
  expectInvalid("<sip:u@h.com>;=1");
  expectInvalid("<sip:u@h.com>;tag=\"x");
  expectInvalid("sip:u@h.com;");
  expectInvalid("sip:u@h.com;;tag=1");
  expectInvalid(";tag=1");
  expectInvalid("<sip:u@h.com;tag=1");
  expectInvalid("<sip:u@256.0.0.1>");  // the URI's own errors surface
  expectInvalid("<sip:u@h.com:70000>");
  expectInvalid("<sip:%G1@h.com>");
  expectInvalid("*");  // Contact: * is the caller's business
}

TEST(NameAddrTest, OtherUriSchemes) {
  // RFC 4475 unksm2.
  NameAddr na = mustParse("isbn:2983792873");
  EXPECT_EQ(na.uri.scheme, UriScheme::kOther);
  EXPECT_EQ(na.uri.opaque, "2983792873");
  na = mustParse("<http://www.example.com>;tag=3234233");
  EXPECT_EQ(na.uri.schemeText, "http");
  EXPECT_EQ(na.tag(), "3234233");
  na = mustParse("<name:John_Smith>");
  EXPECT_EQ(na.uri.opaque, "John_Smith");

  na = mustParse("\"Alice\" <tel:+1-201-555-0123;ext=1>;tag=a");
  EXPECT_EQ(na.uri.scheme, UriScheme::kTel);
  EXPECT_EQ(na.uri.user, "+1-201-555-0123");
  EXPECT_EQ(na.uri.params.get("ext"), "1");
  na = mustParse("tel:+1-201-555-0123;tag=a");
  EXPECT_EQ(na.uri.user, "+1-201-555-0123");
  EXPECT_EQ(na.tag(), "a");
}

TEST(NameAddrTest, Rfc4475Addresses) {
  // esc01
  NameAddr na = mustParse("<sip:I%20have%20spaces@example.net>;tag=938");
  EXPECT_EQ(na.uri.user, "I%20have%20spaces");
  na = mustParse("sip:%75se%72@example.com");
  EXPECT_EQ(na.uri.user, "%75se%72");
  na = mustParse("\r\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>");
  EXPECT_EQ(na.uri.params.size(), 2u);
  // escnull
  na = mustParse("sip:null-%00-null@example.com;tag=839923423");
  EXPECT_EQ(na.tag(), "839923423");
  mustParse("<sip:%00%00@host5.example.com>");
  // regescrt: the escaped header stays raw in the URI.
  na = mustParse("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>");
  EXPECT_EQ(na.uri.headers, "Route=%3Csip:sip.example.com%3E");
  // inv2543
  na = mustParse("<sip:UserB@example.com;maddr=ss1.example.com>");
  EXPECT_EQ(na.uri.params.get("maddr"), "ss1.example.com");
  // intmeth
  na = mustParse(
      "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
      "\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9\";"
      "tag=_token~1'+`*%!-.");
  EXPECT_EQ(na.tag(), "_token~1'+`*%!-.");
  EXPECT_EQ(na.params.size(), 2u);
  // longreq
  na = mustParse(
      "\"I have a user name of extremeextremeextremeextremeextremeextremeextremeextremeextreme"
      "extreme proportion\"<sip:user@example.com:6000;unknownparam1=verylonglonglonglonglong"
      "longlonglonglonglonglonglonglonglonglonglonglonglonglonglongvalue;longparamnamename"
      "namenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename"
      "namename=shortvalue;verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong"
      "longlonglonglonglonglonglonglonglongParameterNameWithNoValue>");
  EXPECT_EQ(na.uri.port, 6000);
  EXPECT_EQ(na.uri.params.size(), 3u);
}

TEST(NameAddrTest, UnquoteDisplayName) {
  EXPECT_EQ(unquoteDisplayName(""), "");
  EXPECT_EQ(unquoteDisplayName("Bob"), "Bob");
  EXPECT_EQ(unquoteDisplayName("Joe \t Bloggs"), "Joe Bloggs");
  EXPECT_EQ(unquoteDisplayName("Joe\r\n Bloggs"), "Joe Bloggs");
  EXPECT_EQ(unquoteDisplayName(R"("a\\b")"), R"(a\b)");
  EXPECT_EQ(unquoteDisplayName(R"("a\xb")"), "axb");
  EXPECT_EQ(unquoteDisplayName(R"("  spaced  ")"), "  spaced  ");
  EXPECT_EQ(unquoteDisplayName(R"(")"), R"(")");
  EXPECT_EQ(unquoteDisplayName(R"("a\")"), R"(a\)");
}

// Every prefix of valid elements, in buffers of exactly their size so that the address
// sanitizer catches a read past the end.
TEST(NameAddrTest, TruncatedInputsNeverReadOutside) {
  const std::string_view inputs[] = {
      R"( "Quoted \"name\"" <sips:a:b@[2001:db8::1]:5061;transport=tls?x=%20> ; tag = x ;q="1")",
      "Joe  Bloggs<tel:+1-201;ext=2>;expires=60",
      "sip:u@h.com ;tag=1;lr",
  };
  for (std::string_view full : inputs) {
    ASSERT_TRUE(parseNameAddr(full).ok()) << full;
    for (size_t len = 0; len <= full.size(); ++len) {
      const std::vector<char> buf(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
      const std::string_view prefix(buf.data(), buf.size());
      auto r = parseNameAddr(prefix);
      if (!r.ok()) continue;
      for (std::string_view part : {r->displayName, r->uri.text, r->params.text()}) {
        if (part.empty()) continue;
        EXPECT_GE(part.data(), prefix.data());
        EXPECT_LE(part.data() + part.size(), prefix.data() + prefix.size());
      }
    }
  }
}

}  // namespace
}  // namespace tg::sip
