#pragma once

// Character classes and small scanning helpers shared by every SIP parser (RFC 3261 §25.1).
// Everything works on std::string_view and never reads outside it.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>

namespace tg::sip {

constexpr bool isAlpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool isAlnum(char c) { return isAlpha(c) || isDigit(c); }
constexpr bool isHex(char c) { return isDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
constexpr bool isWsp(char c) { return c == ' ' || c == '\t'; }
// One compare and a bit test instead of four compares: LWS is tested on every skip.
constexpr bool isLws(char c) {
  constexpr uint64_t kLws = (1ull << ' ') | (1ull << '\t') | (1ull << '\r') | (1ull << '\n');
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' && ((kLws >> u) & 1) != 0;
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
struct CharTable {
  bool v[256] = {};
  constexpr CharTable(std::string_view extra, bool alnum) {
    for (int c = 0; c < 256; ++c) {
      const char ch = static_cast<char>(c);
      if (alnum && (isAlnum(ch))) v[c] = true;
    }
    for (char ch : extra) v[static_cast<unsigned char>(ch)] = true;
  }
  constexpr bool operator()(char c) const { return v[static_cast<unsigned char>(c)]; }
  // Every octet but `chars`.
  static constexpr CharTable allBut(std::string_view chars) {
    CharTable t("", false);
    for (bool& b : t.v) b = true;
    for (char ch : chars) t.v[static_cast<unsigned char>(ch)] = false;
    return t;
  }
};
inline constexpr CharTable kTokenChars("-.!%*_+`'~", true);
constexpr bool isTokenChar(char c) { return kTokenChars(c); }

// The position of the first character at or after pos that is not in `t`, or s.size(). SIP text
// is mostly runs of such characters, so the loop is unrolled.
constexpr size_t skipWhile(std::string_view s, size_t pos, const CharTable& t) {
  const size_t n = s.size();
  while (pos + 4 <= n) {
    if (!t(s[pos])) return pos;
    if (!t(s[pos + 1])) return pos + 1;
    if (!t(s[pos + 2])) return pos + 2;
    if (!t(s[pos + 3])) return pos + 3;
    pos += 4;
  }
  while (pos < n && t(s[pos])) ++pos;
  return pos;
}

constexpr bool isToken(std::string_view s) {
  return !s.empty() && skipWhile(s, 0, kTokenChars) == s.size();
}

constexpr char toLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

constexpr bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) return false;
  }
  return true;
}

constexpr bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// Removes linear white space (SP, HTAB, CR, LF) from both ends.
constexpr std::string_view trim(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && isLws(s[b])) ++b;
  size_t e = s.size();
  while (e > b && isLws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

constexpr std::string_view trimLeft(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && isLws(s[b])) ++b;
  return s.substr(b);
}

// Parses a non-empty run of decimal digits that fits below `max` (inclusive). Anything else,
// including a sign, white space or overflow, is nullopt.
constexpr std::optional<uint64_t> parseDecimal(std::string_view s, uint64_t max = UINT32_MAX) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

constexpr int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// Finds `c` outside double-quoted strings (honouring backslash escapes inside quotes) and
// outside <...>. Returns npos when absent. Used to split comma lists and parameters.
constexpr size_t findUnquoted(std::string_view s, char c, size_t from = 0) {
  if (!std::is_constant_evaluated()) {
    // Most list values hold a single element: no `c` at all means no top-level one either.
    if (from >= s.size() || std::memchr(s.data() + from, c, s.size() - from) == nullptr) {
      return std::string_view::npos;
    }
  }
  bool quoted = false;
  bool angle = false;
  for (size_t i = from; i < s.size(); ++i) {
    const char ch = s[i];
    if (quoted) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        quoted = false;
      }
      continue;
    }
    if (ch == '"') {
      quoted = true;
    } else if (ch == '<') {
      angle = true;
    } else if (ch == '>') {
      angle = false;
    } else if (ch == c && !angle) {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace tg::sip
