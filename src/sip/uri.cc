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

// RFC 3261 §25.1 character classes.
inline constexpr CharTable kUserChars("-_.!~*'()&=+$,;?/", true);
inline constexpr CharTable kPasswordChars("-_.!~*'()&=+$,", true);
inline constexpr CharTable kParamSectionChars("-_.!~*'()[]/:&+$;=", true);
inline constexpr CharTable kSchemeChars("+-.", true);
inline constexpr CharTable kHostChars("-.", true);

// Loose check for headers and opaque parts: printable ASCII that cannot end the URI inside a
// header field (no white space, no controls, no angle brackets or quotes).
constexpr bool isLooseUriChar(char c) {
  return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"';
}

constexpr bool isSchemeChar(char c) { return kSchemeChars(c); }

constexpr bool isVisualSeparator(char c) { return c == '-' || c == '.' || c == '(' || c == ')'; }

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

// From pos, skips characters of `allowed` (which holds no '%') and well-formed %XX escapes;
// returns the position of the first other character, or s.size().
size_t scanEscaped(std::string_view s, size_t pos, const CharTable& allowed) {
  const size_t n = s.size();
  for (;;) {
    pos = skipWhile(s, pos, allowed);
    if (pos < n && s[pos] == '%' && n - pos >= 3 && isHex(s[pos + 1]) && isHex(s[pos + 2])) {
      pos += 3;
    } else {
      return pos;
    }
  }
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
    pos = skipWhile(s, pos, kHostChars);
    const std::string_view host = s.substr(start, pos - start);
    if (host.empty()) return "missing host";
    // Only a host ending in a digit can be an IPv4 address: the others go straight to the
    // host-name check.
    if (isDigit(host.back()) && isIPv4Address(host)) {
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
  if (scanEscaped(section, 0, kParamSectionChars) != section.size()) {
    return "invalid character in URI parameters";
  }
  return ParamList::parse(section, /*allowQuoted=*/false, out);
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
  // user and password cannot hold a raw '@', so the first one ends the userinfo. Scanning the
  // user (and password) characters usually stops right at it; when it stops elsewhere, an '@'
  // further on still makes a (malformed) userinfo of everything before it.
  const size_t userEnd = scanEscaped(rest, 0, kUserChars);
  size_t at = std::string_view::npos;
  if (userEnd < n && rest[userEnd] == '@') {
    at = userEnd;
  } else if (userEnd < n && rest[userEnd] == ':') {
    const size_t passwordEnd = scanEscaped(rest, userEnd + 1, kPasswordChars);
    if (passwordEnd < n && rest[passwordEnd] == '@') {
      at = passwordEnd;
      uri.password = rest.substr(userEnd + 1, passwordEnd - userEnd - 1);
      uri.hasPassword = true;
    } else if (rest.find('@', passwordEnd) != std::string_view::npos) {
      return userEnd == 0 ? "empty user" : "invalid character in password";
    }
  } else if (userEnd < n && rest.find('@', userEnd) != std::string_view::npos) {
    // The user holds the character the scan stopped at (so it is not empty either).
    return "invalid character in user";
  }
  if (at != std::string_view::npos) {
    uri.user = rest.substr(0, userEnd);
    uri.hasUser = true;
    if (uri.user.empty()) return "empty user";
    pos = at + 1;
  }
  if (std::string_view err = parseHostPort(rest, pos, uri); !err.empty()) return err;
  if (pos < n && rest[pos] == ';') {
    // paramchar excludes '?', so the first one starts the headers; any other character that
    // stops the scan is an error.
    const size_t end = scanEscaped(rest, pos, kParamSectionChars);
    if (end < n && rest[end] != '?') return "invalid character in URI parameters";
    if (auto err = ParamList::parse(rest.substr(pos, end - pos), false, uri.params); !err.empty()) {
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

std::string_view parseUri(std::string_view text, Uri& uri) {
  uri = Uri{};
  uri.text = text;
  if (text.empty()) return "empty URI";
  size_t i = 0;
  if (!isAlpha(text[0])) return "URI scheme must start with a letter";
  while (i < text.size() && isSchemeChar(text[i])) ++i;
  if (i == text.size() || text[i] != ':') return "missing ':' after URI scheme";
  uri.schemeText = text.substr(0, i);
  const std::string_view rest = text.substr(i + 1);
  if (equalsIgnoreCase(uri.schemeText, "sip")) {
    uri.scheme = UriScheme::kSip;
    return parseSipRest(rest, uri);
  }
  if (equalsIgnoreCase(uri.schemeText, "sips")) {
    uri.scheme = UriScheme::kSips;
    return parseSipRest(rest, uri);
  }
  if (equalsIgnoreCase(uri.schemeText, "tel")) {
    uri.scheme = UriScheme::kTel;
    return parseTelRest(rest, uri);
  }
  uri.scheme = UriScheme::kOther;
  uri.opaque = rest;
  if (rest.empty()) return "empty URI after scheme";
  if (!isEscapedText(rest, isLooseUriChar)) return "invalid character in URI";
  return {};
}

Result<Uri> parseUri(std::string_view text) {
  Uri uri;
  if (std::string_view err = parseUri(text, uri); !err.empty()) return Error{err};
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
