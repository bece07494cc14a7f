#include "sip/uri.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "sip/host.h"
#include "sip/scan.h"

namespace tg::sip {

namespace {

constexpr bool isOneOf(char c, std::string_view set) {
  return set.find(c) != std::string_view::npos;
}

// RFC 3261 §25.1 character classes.
inline constexpr CharTable kUnreserved("-_.!~*'()", true);
inline constexpr CharTable kUserChars("-_.!~*'()&=+$,;?/", true);
inline constexpr CharTable kPasswordChars("-_.!~*'()&=+$,", true);
inline constexpr CharTable kParamSectionChars("-_.!~*'()[]/:&+$;=", true);
inline constexpr CharTable kSchemeChars("+-.", true);
constexpr bool isUnreserved(char c) { return kUnreserved(c); }
constexpr bool isUserChar(char c) { return kUserChars(c); }
constexpr bool isPasswordChar(char c) { return kPasswordChars(c); }
constexpr bool isParamSectionChar(char c) { return kParamSectionChars(c); }

// Loose check for headers and opaque parts: printable ASCII that cannot end the URI inside a
// header field (no white space, no controls, no angle brackets or quotes).
constexpr bool isLooseUriChar(char c) {
  return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"';
}

constexpr bool isSchemeChar(char c) { return kSchemeChars(c); }

constexpr bool isVisualSeparator(char c) { return isOneOf(c, "-.()"); }

// True when every byte is allowed() or starts a well-formed %XX escape.
template <typename Pred>
constexpr bool isEscapedText(std::string_view s, Pred allowed) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (s.size() - i < 3 || !isHex(s[i + 1]) || !isHex(s[i + 2])) return false;
      i += 2;
    } else if (!allowed(s[i])) {
      return false;
    }
  }
  return true;
}

// Parses "host [ ":" port ]" at s[pos...], advancing pos past it.
std::string_view parseHostPort(std::string_view s, size_t& pos, Uri& uri) {
  const size_t n = s.size();
  const size_t start = pos;
  if (pos < n && s[pos] == '[') {
    const size_t close = s.find(']', pos);
    if (close == std::string_view::npos) return "unterminated IPv6 reference";
    in6_addr addr;
    if (!parseIPv6(s.substr(pos + 1, close - pos - 1), addr)) return "invalid IPv6 address";
    pos = close + 1;
    uri.hostType = HostType::kIPv6;
  } else {
    while (pos < n && (isAlnum(s[pos]) || s[pos] == '-' || s[pos] == '.')) ++pos;
    const std::string_view host = s.substr(start, pos - start);
    if (host.empty()) return "missing host";
    if (isIPv4Address(host)) {
      uri.hostType = HostType::kIPv4;
    } else if (isHostname(host)) {
      uri.hostType = HostType::kDomain;
    } else {
      return "invalid host";
    }
  }
  uri.host = s.substr(start, pos - start);
  if (pos < n && s[pos] == ':') {
    const size_t portStart = ++pos;
    while (pos < n && isDigit(s[pos])) ++pos;
    const std::string_view digits = s.substr(portStart, pos - portStart);
    const auto port = digits.size() <= 5 ? parseDecimal(digits, 65535) : std::nullopt;
    if (!port) return "invalid port";
    uri.port = static_cast<uint16_t>(*port);
    uri.hasPort = true;
  }
  return {};
}

// Validates and parses the ";param..." section of a sip or tel URI.
std::string_view parseUriParams(std::string_view section, ParamList& out) {
  if (!isEscapedText(section, isParamSectionChar)) return "invalid character in URI parameters";
  auto params = ParamList::parse(section, /*allowQuoted=*/false);
  if (!params) return params.error();
  out = *params;
  return {};
}

// headers = "?" header *( "&" header ), header = hname "=" hvalue; characters checked loosely.
bool isValidHeaders(std::string_view s) {
  if (!isEscapedText(s, isLooseUriChar)) return false;
  size_t pos = 0;
  for (;;) {
    const size_t amp = s.find('&', pos);
    const std::string_view header = s.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    const size_t eq = header.find('=');
    if (eq == 0 || eq == std::string_view::npos) return false;
    if (amp == std::string_view::npos) return true;
    pos = amp + 1;
  }
}

std::string_view parseSipRest(std::string_view rest, Uri& uri) {
  const size_t n = rest.size();
  size_t pos = 0;
  // user and password cannot hold a raw '@', so the first one ends the userinfo.
  const size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    uri.user = userinfo.substr(0, colon);
    uri.hasUser = true;
    if (uri.user.empty()) return "empty user";
    if (!isEscapedText(uri.user, isUserChar)) return "invalid character in user";
    if (colon != std::string_view::npos) {
      uri.password = userinfo.substr(colon + 1);
      uri.hasPassword = true;
      if (!isEscapedText(uri.password, isPasswordChar)) return "invalid character in password";
    }
    pos = at + 1;
  }
  if (std::string_view err = parseHostPort(rest, pos, uri); !err.empty()) return err;
  if (pos < n && rest[pos] == ';') {
    // paramchar excludes '?', so the first one starts the headers.
    const size_t q = rest.find('?', pos);
    const size_t end = q == std::string_view::npos ? n : q;
    if (auto err = parseUriParams(rest.substr(pos, end - pos), uri.params); !err.empty()) {
      return err;
    }
    pos = end;
  }
  if (pos < n) {
    if (rest[pos] != '?') return "unexpected character after host";
    uri.headers = rest.substr(pos + 1);
    if (!isValidHeaders(uri.headers)) return "invalid URI headers";
  }
  return {};
}

// RFC 3966: global-number = "+" digits with visual separators; local-number = hex digits,
// '*', '#' and visual separators. Parameters follow after ';'.
std::string_view parseTelRest(std::string_view rest, Uri& uri) {
  const size_t semi = rest.find(';');
  const std::string_view number = rest.substr(0, semi);
  const bool global = !number.empty() && number.front() == '+';
  bool hasDigit = false;
  for (char c : global ? number.substr(1) : number) {
    if (global ? isDigit(c) : (isHex(c) || c == '*' || c == '#')) {
      hasDigit = true;
    } else if (!isVisualSeparator(c)) {
      return "invalid character in telephone number";
    }
  }
  if (!hasDigit) return "invalid telephone number";
  uri.user = number;
  uri.hasUser = true;
  if (semi != std::string_view::npos) return parseUriParams(rest.substr(semi), uri.params);
  return {};
}

// Yields the bytes of an escaped string with %XX decoded; a malformed escape reads as text.
class EscapedReader {
 public:
  explicit EscapedReader(std::string_view s) : s_(s) {}
  bool next(char& c) {
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '%' && s_.size() - i_ >= 3 && isHex(s_[i_ + 1]) && isHex(s_[i_ + 2])) {
      c = static_cast<char>(hexValue(s_[i_ + 1]) * 16 + hexValue(s_[i_ + 2]));
      i_ += 3;
    } else {
      c = s_[i_++];
    }
    return true;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// Compares the unescaped forms of a and b without allocating.
bool decodedEqual(std::string_view a, std::string_view b, bool ignoreCase,
                  bool (*skip)(char) = nullptr) {
  EscapedReader ra(a);
  EscapedReader rb(b);
  char ca = 0;
  char cb = 0;
  for (;;) {
    bool ha = ra.next(ca);
    while (ha && skip && skip(ca)) ha = ra.next(ca);
    bool hb = rb.next(cb);
    while (hb && skip && skip(cb)) hb = rb.next(cb);
    if (!ha || !hb) return ha == hb;
    if (ignoreCase ? toLower(ca) != toLower(cb) : ca != cb) return false;
  }
}

// The first parameter whose unescaped name matches `name`, ignoring case.
std::optional<Param> findDecoded(const ParamList& list, std::string_view name) {
  std::optional<Param> found;
  list.forEach([&](const Param& p) {
    if (!found && decodedEqual(p.name, name, true)) found = p;
  });
  return found;
}

bool sameParamValue(const Param& a, const Param& b) {
  return a.hasValue == b.hasValue && decodedEqual(a.value, b.value, true);
}

// Parameters that must match when present in either URI (RFC 3261 §19.1.4).
constexpr std::string_view kSignificantParams[] = {"user", "ttl", "method", "maddr", "transport"};

bool isSignificantParam(std::string_view name) {
  for (std::string_view s : kSignificantParams) {
    if (decodedEqual(name, s, true)) return true;
  }
  return false;
}

bool sipParamsEquivalent(const ParamList& a, const ParamList& b) {
  for (std::string_view name : kSignificantParams) {
    const auto pa = findDecoded(a, name);
    const auto pb = findDecoded(b, name);
    if (pa.has_value() != pb.has_value()) return false;
    if (pa && !sameParamValue(*pa, *pb)) return false;
  }
  // Other parameters count only when both URIs carry them; duplicates: the first one wins.
  bool equal = true;
  a.forEach([&](const Param& p) {
    if (!equal || isSignificantParam(p.name)) return;
    const auto first = findDecoded(a, p.name);
    if (first->name.data() != p.name.data()) return;
    const auto other = findDecoded(b, p.name);
    if (other && !sameParamValue(p, *other)) equal = false;
  });
  return equal;
}

// tel parameters are compared as sets (RFC 3966 §4).
bool allParamsIn(const ParamList& a, const ParamList& b) {
  bool equal = true;
  a.forEach([&](const Param& p) {
    if (!equal) return;
    const auto first = findDecoded(a, p.name);
    const auto other = findDecoded(b, p.name);
    if (!other || !sameParamValue(*first, *other)) equal = false;
  });
  return equal;
}

// Calls fn(name, value) for each "name=value" component of a URI header section.
template <typename Fn>
void forEachHeader(std::string_view headers, Fn&& fn) {
  size_t pos = 0;
  while (pos <= headers.size() && !headers.empty()) {
    size_t amp = headers.find('&', pos);
    if (amp == std::string_view::npos) amp = headers.size();
    const std::string_view h = headers.substr(pos, amp - pos);
    const size_t eq = h.find('=');
    fn(h.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : h.substr(eq + 1));
    pos = amp + 1;
  }
}

// Every header component of a appears in b: names ignore case, values are compared exactly.
bool allHeadersIn(std::string_view a, std::string_view b) {
  bool all = true;
  forEachHeader(a, [&](std::string_view name, std::string_view value) {
    if (!all) return;
    bool found = false;
    forEachHeader(b, [&](std::string_view otherName, std::string_view otherValue) {
      found =
          found || (decodedEqual(name, otherName, true) && decodedEqual(value, otherValue, false));
    });
    all = found;
  });
  return all;
}

bool hostsEquivalent(const Uri& a, const Uri& b) {
  if (a.hostType == HostType::kIPv6 && b.hostType == HostType::kIPv6) {
    in6_addr x;
    in6_addr y;
    if (parseIPv6(a.hostAddress(), x) && parseIPv6(b.hostAddress(), y)) {
      return std::memcmp(&x, &y, sizeof(x)) == 0;
    }
  }
  return equalsIgnoreCase(a.host, b.host);
}

}  // namespace

std::string_view Uri::hostAddress() const {
  if (hostType == HostType::kIPv6 && host.size() >= 2 && host.front() == '[' &&
      host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

Result<Uri> parseUri(std::string_view text) {
  Uri uri;
  uri.text = text;
  if (text.empty()) return Error{"empty URI"};
  size_t i = 0;
  if (!isAlpha(text[0])) return Error{"URI scheme must start with a letter"};
  while (i < text.size() && isSchemeChar(text[i])) ++i;
  if (i == text.size() || text[i] != ':') return Error{"missing ':' after URI scheme"};
  uri.schemeText = text.substr(0, i);
  const std::string_view rest = text.substr(i + 1);
  std::string_view err;
  if (equalsIgnoreCase(uri.schemeText, "sip")) {
    uri.scheme = UriScheme::kSip;
    err = parseSipRest(rest, uri);
  } else if (equalsIgnoreCase(uri.schemeText, "sips")) {
    uri.scheme = UriScheme::kSips;
    err = parseSipRest(rest, uri);
  } else if (equalsIgnoreCase(uri.schemeText, "tel")) {
    uri.scheme = UriScheme::kTel;
    err = parseTelRest(rest, uri);
  } else {
    uri.scheme = UriScheme::kOther;
    uri.opaque = rest;
    if (rest.empty()) {
      err = "empty URI after scheme";
    } else if (!isEscapedText(rest, isLooseUriChar)) {
      err = "invalid character in URI";
    }
  }
  if (!err.empty()) return Error{err};
  return uri;
}

bool uriEquivalent(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;
  if (a.scheme == UriScheme::kTel) {
    // Visual separators carry no meaning (RFC 3966 §4); hex digits ignore case.
    return decodedEqual(a.user, b.user, true, isVisualSeparator) &&
           allParamsIn(a.params, b.params) && allParamsIn(b.params, a.params);
  }
  if (!a.isSipOrSips()) return decodedEqual(a.text, b.text, true);
  return a.hasUser == b.hasUser && decodedEqual(a.user, b.user, false) &&
         a.hasPassword == b.hasPassword && decodedEqual(a.password, b.password, false) &&
         hostsEquivalent(a, b) && a.hasPort == b.hasPort && a.port == b.port &&
         sipParamsEquivalent(a.params, b.params) && allHeadersIn(a.headers, b.headers) &&
         allHeadersIn(b.headers, a.headers);
}

bool unescape(std::string_view in, std::string& out) {
  if (!isEscapedText(in, [](char) { return true; })) return false;
  std::string decoded;
  decoded.reserve(in.size());
  EscapedReader reader(in);
  char c = 0;
  while (reader.next(c)) decoded.push_back(c);
  out = std::move(decoded);
  return true;
}

}  // namespace tg::sip
