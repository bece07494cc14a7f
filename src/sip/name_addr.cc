#include "sip/name_addr.h"

#include <string>

#include "sip/scan.h"

namespace tg::sip {

namespace {

// Controls are not qdtext; LWS (folded lines included) is.
constexpr bool isForbiddenInQuotes(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && !isLws(c)) || u == 0x7f;
}

// Scans a quoted-string starting at s[0] == '"'. Returns its length including both quotes,
// or 0 when it is unterminated or holds a control character.
size_t scanQuotedString(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') return i + 1;
    if (c == '\\') {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): any octet but CR and LF.
      if (i + 1 == s.size() || s[i + 1] == '\r' || s[i + 1] == '\n') return 0;
      ++i;
    } else if (isForbiddenInQuotes(c)) {
      return 0;
    }
  }
  return 0;
}

// display-name = *(token LWS) / quoted-string: unquoted names are tokens separated by LWS.
constexpr bool isTokenDisplayName(std::string_view s) {
  for (char c : s) {
    if (!isTokenChar(c) && !isLws(c)) return false;
  }
  return true;
}

}  // namespace

std::string_view parseNameAddr(std::string_view text, NameAddr& na) {
  na = NameAddr{};
  const std::string_view s = trim(text);
  if (s.empty()) return "empty address";
  size_t open = std::string_view::npos;  // position of '<'
  if (s.front() == '"') {
    const size_t len = scanQuotedString(s);
    if (len == 0) return "unterminated or invalid quoted display name";
    na.displayName = s.substr(0, len);
    open = len;
    while (open < s.size() && isLws(s[open])) ++open;
    if (open == s.size() || s[open] != '<') return "expected '<' after display name";
  } else if (s.front() == '<') {
    open = 0;
  } else {
    // A URI holds no '<' or '"' and a bare addr-spec ends at ';', so whichever comes first
    // tells a display name from an addr-spec.
    size_t stop = 0;
    while (stop < s.size() && s[stop] != '<' && s[stop] != ';' && s[stop] != '"') ++stop;
    if (stop < s.size() && s[stop] == '<') {
      na.displayName = trim(s.substr(0, stop));
      if (!isTokenDisplayName(na.displayName)) return "invalid character in display name";
      open = stop;
    } else {
      // Bare addr-spec: header parameters start at the first ';' (RFC 3261 §20.10).
      const size_t semi = stop < s.size() && s[stop] == ';' ? stop : s.find(';', stop);
      if (auto err = parseUri(trim(s.substr(0, semi)), na.uri); !err.empty()) return err;
      return ParamList::parse(semi == std::string_view::npos ? std::string_view{} : s.substr(semi),
                              true, na.params);
    }
  }
  const size_t close = s.find('>', open + 1);
  if (close == std::string_view::npos) return "missing '>'";
  if (auto err = parseUri(s.substr(open + 1, close - open - 1), na.uri); !err.empty()) return err;
  na.angleBrackets = true;
  return ParamList::parse(s.substr(close + 1), true, na.params);
}

Result<NameAddr> parseNameAddr(std::string_view text) {
  NameAddr na;
  if (std::string_view err = parseNameAddr(text, na); !err.empty()) return Error{err};
  return na;
}

std::string unquoteDisplayName(std::string_view raw) {
  std::string out;
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
    const std::string_view inner = raw.substr(1, raw.size() - 2);
    out.reserve(inner.size());
    for (size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
      out.push_back(inner[i]);
    }
    return out;
  }
  // Token form: runs of LWS (folding included) read as one space.
  out.reserve(raw.size());
  bool space = false;
  for (char c : trim(raw)) {
    if (isLws(c)) {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace tg::sip
