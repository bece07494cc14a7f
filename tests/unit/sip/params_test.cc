#include "sip/params.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/header.h"
#include "sip/header_values.h"
#include "sip/name_addr.h"
#include "sip/scan.h"
#include "sip/uri.h"
#include "sip/via.h"

namespace tg::sip {
namespace {

ParamList mustParse(std::string_view text, bool allowQuoted = true) {
  auto r = ParamList::parse(text, allowQuoted);
  EXPECT_TRUE(r.ok()) << "'" << text << "': " << r.error();
  return r.ok() ? *r : ParamList{};
}

// What a lookup means: the first parameter of that name (any case), found by walking the list.
std::optional<Param> firstByWalking(const ParamList& list, std::string_view name) {
  std::optional<Param> found;
  list.forEach([&](const Param& p) {
    if (!found && equalsIgnoreCase(p.name, name)) found = p;
  });
  return found;
}

constexpr std::string_view kLookupNames[] = {
    "branch", "BRANCH",  "Branch", "tag", "TAG", "rport", "received", "maddr", "transport", "lr",
    "LR",     "expires", "q",      "Q",   "x",   "user",  "brancx",   "tags",  ""};

// find/get/has by name and by KnownParam all agree with walking the list.
void expectLookupsAgreeWithWalking(const ParamList& list) {
  for (std::string_view name : kLookupNames) {
    SCOPED_TRACE(std::string(list.text()) + " / " + std::string(name));
    const auto walked = firstByWalking(list, name);
    const auto found = list.find(name);
    ASSERT_EQ(found.has_value(), walked.has_value());
    EXPECT_EQ(list.has(name), walked.has_value());
    EXPECT_EQ(list.get(name), walked ? walked->value : std::string_view{});
    if (found) {
      EXPECT_EQ(found->name.data(), walked->name.data());  // the same parameter, not a copy
      EXPECT_EQ(found->name, walked->name);
      EXPECT_EQ(found->value, walked->value);
      EXPECT_EQ(found->hasValue, walked->hasValue);
    }
    const KnownParam k = knownParamFromName(name);
    if (k == KnownParam::kNone) continue;
    const auto byKey = list.find(k);
    ASSERT_EQ(byKey.has_value(), walked.has_value());
    EXPECT_EQ(list.has(k), walked.has_value());
    EXPECT_EQ(list.get(k), walked ? walked->value : std::string_view{});
    if (byKey) {
      EXPECT_EQ(byKey->name.data(), walked->name.data());
    }
  }
}

TEST(KnownParamTest, NamesMapInAnyCase) {
  for (size_t i = 0; i < kKnownParamCount; ++i) {
    const auto k = static_cast<KnownParam>(i);
    const std::string_view name = knownParamName(k);
    EXPECT_EQ(knownParamFromName(name), k) << name;
    std::string upper(name);
    for (char& c : upper) c = static_cast<char>(c & ~0x20);
    EXPECT_EQ(knownParamFromName(upper), k) << upper;
  }
  static_assert(knownParamFromName("TrAnSpOrT") == KnownParam::kTransport);
  for (std::string_view other : {"", "x", "r", "l", "lrr", "tags", "ta", "branc", "branchx",
                                 "rports", "maddr2", "expire", "receive", "transports", "user"}) {
    EXPECT_EQ(knownParamFromName(other), KnownParam::kNone) << other;
  }
  EXPECT_EQ(knownParamName(KnownParam::kNone), "");
}

TEST(ParamListTest, KnownParametersAreIndexedWhileParsing) {
  const ParamList list = mustParse(
      ";rport;branch=z9hG4bK1;Branch=second;received=10.0.0.1;tag=\"q;t\";lr;q=0.5"
      ";expires=60;maddr=[::1];transport=tcp;x=1");
  EXPECT_EQ(list.size(), 11u);
  EXPECT_EQ(list.get(KnownParam::kBranch), "z9hG4bK1");  // the first one wins
  EXPECT_TRUE(list.has(KnownParam::kRport));
  EXPECT_EQ(list.get(KnownParam::kRport), "");
  EXPECT_FALSE(list.find(KnownParam::kRport)->hasValue);
  EXPECT_EQ(list.get(KnownParam::kTag), "\"q;t\"");
  EXPECT_EQ(list.get(KnownParam::kMaddr), "[::1]");
  EXPECT_EQ(list.get(KnownParam::kQ), "0.5");
  EXPECT_EQ(list.find("BRANCH")->name, "branch");
  EXPECT_EQ(list.get("x"), "1");
  expectLookupsAgreeWithWalking(list);

  EXPECT_FALSE(list.find(KnownParam::kNone).has_value());
  EXPECT_FALSE(list.has(KnownParam::kNone));
  EXPECT_EQ(list.get(KnownParam::kNone), "");

  const ParamList none = mustParse("");
  EXPECT_FALSE(none.has(KnownParam::kBranch));
  expectLookupsAgreeWithWalking(none);
  expectLookupsAgreeWithWalking(ParamList{});
}

TEST(ParamListTest, LookupsAgreeWithWalkingTheList) {
  for (std::string_view text :
       {";tag=a", " ; TAG = b ;tag=c", ";lr;LR=1", ";q", ";expires=\"60\"", ";branch=x;branch",
        ";BrAnCh=z9hG4bK;rPoRt=5060;ReCeIvEd=[::1]", ";x=\"a;b\\\"c\";tag=1",
        ";tagx=1;xtag=2;tag=3", ";transport=tcp;TRANSPORT=udp;maddr=h.example.com"}) {
    expectLookupsAgreeWithWalking(mustParse(text));
  }
  // URI parameters (no quoted values, paramchar names).
  for (std::string_view text : {";transport=tcp;lr", ";maddr=[::1];user=phone;method=INVITE",
                                ";lr;x(1)=a:b/c;LR", ";q=1;Q=2"}) {
    expectLookupsAgreeWithWalking(mustParse(text, /*allowQuoted=*/false));
  }
}

TEST(ParamListTest, ParsingIntoStorageForgetsThePreviousList) {
  ParamList list;
  ASSERT_EQ(ParamList::parse(";branch=a;tag=b;lr", true, list), "");
  EXPECT_EQ(list.get(KnownParam::kTag), "b");
  ASSERT_EQ(ParamList::parse(";x=1", false, list), "");
  EXPECT_EQ(list.size(), 1u);
  EXPECT_FALSE(list.has(KnownParam::kBranch));
  EXPECT_FALSE(list.has("tag"));
  EXPECT_FALSE(list.has(KnownParam::kLr));
  EXPECT_EQ(list.get("x"), "1");
  // Errors are the same as from the Result form.
  for (std::string_view bad : {";", ";a=", "x", ";a=\"open", ";a=[::1", ";=1"}) {
    EXPECT_EQ(ParamList::parse(bad, true, list), ParamList::parse(bad).error()) << bad;
    EXPECT_FALSE(ParamList::parse(bad).error().empty()) << bad;
  }
  EXPECT_EQ(ParamList::parse(";a=\"q\"", false, list), "quoted parameter value not allowed here");
}

TEST(ParamListTest, CopiesKeepTheIndex) {
  const ParamList a = mustParse(";tag=1;expires=30");
  const ParamList b = a;
  EXPECT_EQ(b.get(KnownParam::kTag), "1");
  EXPECT_EQ(b.get("EXPIRES"), "30");
  EXPECT_EQ(b.find(KnownParam::kTag)->name.data(), a.find(KnownParam::kTag)->name.data());
}

TEST(ParamListTest, ListsTooLongForTheIndexAreScanned) {
  // Offsets are 16-bit; a longer list still answers every lookup, by scanning.
  std::string text;
  for (int i = 0; text.size() <= 70000; ++i) text += ";p" + std::to_string(i) + "=v";
  const size_t filler = mustParse(text).size();
  text += ";Branch=z9hG4bKlast;tag=t;branch=second;lr";
  const ParamList list = mustParse(text);
  ASSERT_GT(list.text().size(), 0xFFFFu);
  EXPECT_EQ(list.size(), filler + 4);
  EXPECT_EQ(list.get(KnownParam::kBranch), "z9hG4bKlast");
  EXPECT_EQ(list.find(KnownParam::kBranch)->name, "Branch");
  EXPECT_EQ(list.get("TAG"), "t");
  EXPECT_TRUE(list.has(KnownParam::kLr));
  EXPECT_FALSE(list.has(KnownParam::kRport));
  expectLookupsAgreeWithWalking(list);
}

// --- element parsers into reused storage ----------------------------------------------------

TEST(ParseIntoTest, ViaStorageIsReset) {
  Via via;
  ASSERT_EQ(parseVia("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport;received=1.2.3.4", via), "");
  EXPECT_EQ(via.branch(), "z9hG4bKa");
  EXPECT_TRUE(via.hasRport());
  ASSERT_EQ(parseVia("SIP/2.0/TCP host.example.com", via), "");
  EXPECT_EQ(via.transport, "TCP");
  EXPECT_EQ(via.host, "host.example.com");
  EXPECT_FALSE(via.hasPort);
  EXPECT_EQ(via.branch(), "");
  EXPECT_FALSE(via.hasRport());
  EXPECT_EQ(via.received(), "");
  EXPECT_EQ(parseVia("SIP/2.0/UDP h;branch", via), "Via branch without a value");
  EXPECT_EQ(parseVia("SIP/2.0/UDP h;BRANCH;branch=z9hG4bK1", via), "Via branch without a value");
  EXPECT_EQ(parseVia("SIP/2.0/UDP h;branch=", via), "malformed Via parameters");
  EXPECT_EQ(parseVia("SIP/2.0/UDP h;branch=1;x", via), "");
}

TEST(ParseIntoTest, NameAddrAndUriStorageIsReset) {
  NameAddr na;
  ASSERT_EQ(parseNameAddr("\"A\" <sip:u:pw@h.com:5060;lr?x=y>;tag=1;expires=5", na), "");
  EXPECT_EQ(na.tag(), "1");
  EXPECT_TRUE(na.uri.params.has(KnownParam::kLr));
  ASSERT_EQ(parseNameAddr("sip:c@d.com", na), "");
  EXPECT_EQ(na.displayName, "");
  EXPECT_FALSE(na.angleBrackets);
  EXPECT_EQ(na.tag(), "");
  EXPECT_FALSE(na.params.has(KnownParam::kExpires));
  EXPECT_FALSE(na.uri.params.has(KnownParam::kLr));
  EXPECT_FALSE(na.uri.hasPassword);
  EXPECT_FALSE(na.uri.hasPort);
  EXPECT_EQ(na.uri.headers, "");
  EXPECT_EQ(parseNameAddr("<sip:a@b", na), parseNameAddr("<sip:a@b").error());

  Uri uri;
  ASSERT_EQ(parseUri("sips:[::1]:5061;transport=tls", uri), "");
  EXPECT_EQ(uri.hostType, HostType::kIPv6);
  ASSERT_EQ(parseUri("tel:+1-555-0100", uri), "");
  EXPECT_EQ(uri.scheme, UriScheme::kTel);
  EXPECT_EQ(uri.host, "");
  EXPECT_FALSE(uri.hasPort);
  EXPECT_TRUE(uri.params.empty());
}

// The userinfo is found in one scan; these are the cases where the scan stops elsewhere than at
// the '@' and the answer must still be what "the first '@' ends the userinfo" gives.
TEST(ParseIntoTest, UserinfoEndsAtTheFirstAt) {
  Uri uri;
  ASSERT_EQ(parseUri("sip:host;x=a@b.com", uri), "");  // ';' and '=' are user characters
  EXPECT_EQ(uri.user, "host;x=a");
  EXPECT_EQ(uri.host, "b.com");
  ASSERT_EQ(parseUri("sip:h.com?subject=a@b.com", uri), "");  // so is '?'
  EXPECT_EQ(uri.user, "h.com?subject=a");
  ASSERT_EQ(parseUri("sip:h.com:5060;lr", uri), "");  // "h.com:5060" is no userinfo
  EXPECT_FALSE(uri.hasUser);
  EXPECT_EQ(uri.port, 5060);
  EXPECT_EQ(parseUri("sip:@h.com", uri), "empty user");
  EXPECT_EQ(parseUri("sip::pw@h.com", uri), "empty user");
  EXPECT_EQ(parseUri("sip::p<w@h.com", uri), "empty user");
  EXPECT_EQ(parseUri("sip:u\"@h.com", uri), "invalid character in user");
  EXPECT_EQ(parseUri("sip:\"u@h.com", uri), "invalid character in user");
  EXPECT_EQ(parseUri("sip:u%4@h.com", uri), "invalid character in user");
  EXPECT_EQ(parseUri("sip:u:p:w@h.com", uri), "invalid character in password");
  EXPECT_EQ(parseUri("sip:h.com:50;x=1@a.com", uri), "invalid character in password");
  EXPECT_EQ(parseUri("sip:u:p%zz@h.com", uri), "invalid character in password");
  EXPECT_EQ(parseUri("sip:h.com;a=b\"", uri), "invalid character in URI parameters");
  EXPECT_EQ(parseUri("sip:h.com;a=%2", uri), "invalid character in URI parameters");
  ASSERT_EQ(parseUri("sip:h.com;a=%20?x=y", uri), "");
  EXPECT_EQ(uri.params.get("a"), "%20");
  EXPECT_EQ(uri.headers, "x=y");
}

// --- list helpers ---------------------------------------------------------------------------

TEST(ListTest, TokenListAgreesWithForEachToken) {
  for (std::string_view list :
       {"",        " ",           ",",     "a",        "a,b",    "a , b",
        " a,\tb ", "a b",         ",,a,,", "a,\"b\"",  "a,<b>",  "100rel, timer, replaces",
        "a\r\n b", "a;b",         "a/b",   " a , b c", "a,,b c", "\"a,b\"",
        "<a,b>",   "a, b ,c\t,d", "a\xff"}) {
    EXPECT_EQ(isTokenList(list), forEachToken(list, [](std::string_view) {})) << list;
  }
}

TEST(ListTest, FirstListElement) {
  EXPECT_EQ(firstListElement(""), "");
  EXPECT_EQ(firstListElement(" , ,"), "");
  EXPECT_EQ(firstListElement(" , ,a ,b"), "a");
  EXPECT_EQ(firstListElement("<sip:a@b>"), "<sip:a@b>");
  EXPECT_EQ(firstListElement("\"x,y\" <sip:a@b>, c"), "\"x,y\" <sip:a@b>");
  EXPECT_EQ(firstListElement("<sip:a@b;p=1,2>,c"), "<sip:a@b;p=1,2>");
  for (std::string_view list : {"a", " , b, c", "\"q,\" <x>, y", "<,>", ""}) {
    std::string_view first;
    bool seen = false;
    forEachListElement(list, [&](std::string_view e) {
      if (!seen) first = e;
      seen = true;
    });
    EXPECT_EQ(firstListElement(list), first) << list;
  }
}

TEST(ListTest, FindUnquotedWithoutTheCharacter) {
  EXPECT_EQ(findUnquoted("abc", ','), std::string_view::npos);
  EXPECT_EQ(findUnquoted("a,b", ',', 2), std::string_view::npos);
  EXPECT_EQ(findUnquoted("a,b", ',', 7), std::string_view::npos);
  EXPECT_EQ(findUnquoted("\"a,b\",c", ','), 5u);
  EXPECT_EQ(findUnquoted("<a,b>", ','), std::string_view::npos);
  static_assert(findUnquoted("x\"a,b\",c", ',') == 6);
}

// --- header names read in words -------------------------------------------------------------

TEST(HeaderIdTest, WordReadsAgreeWithTheCopyingLookup) {
  std::vector<std::string> names;
  for (size_t i = 0; i < kKnownHeaderCount; ++i) {
    std::string name(headerName(static_cast<HeaderId>(i)));
    names.push_back(name);
    std::string lower = name;
    for (char& c : lower) c = toLower(c);
    names.push_back(lower);
    names.push_back(name.substr(0, name.size() - 1));  // one shorter
    names.push_back(name + "s");                       // one longer
    std::string other = name;
    other[other.size() / 2] = '_';  // the hashed middle character differs
    names.push_back(other);
  }
  for (std::string_view extra :
       {"v", "V", "i", "x", "q", "X-Foo", "1abc", "@", "Content_Length", "CONTENT-LENGTH",
        "P-Asserted-Identity-Long-Name", "abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwxy"}) {
    names.emplace_back(extra);
  }
  for (const std::string& name : names) {
    // As in a message buffer: the value and more headers follow the name.
    const std::string buffer = name + ": value; and enough bytes after it\r\n";
    ASSERT_GE(buffer.size(), name.size() + kHeaderNameWordBytes);
    EXPECT_EQ(headerIdFromNameWords(buffer.data(), name.size()), headerIdFromName(name)) << name;
  }
  EXPECT_EQ(headerIdFromNameWords("Via: SIP/2.0/UDP h;branch=1", 3), HeaderId::kVia);
  EXPECT_EQ(headerIdFromNameWords("cOnTaCt: <sip:a@b> and more", 7), HeaderId::kContact);
}

}  // namespace
}  // namespace tg::sip
