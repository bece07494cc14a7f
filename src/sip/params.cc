#include "sip/params.h"

#include "sip/scan.h"

namespace tg::sip {

namespace {

// URI parameters (allowQuoted == false) may also hold the paramchar characters of RFC 3261
// §25.1 that are not token characters; header parameters keep the token syntax.
constexpr bool isUriParamExtra(char c) {
  return std::string_view("[]/:&$()").find(c) != std::string_view::npos;
}

}  // namespace

std::string_view ParamList::next(std::string_view text, size_t& pos, Param& p, bool allowQuoted) {
  const size_t n = text.size();
  size_t i = pos;
  auto skipWs = [&] {
    while (i < n && isLws(text[i])) ++i;
  };
  p = Param{};
  skipWs();
  if (i == n) {
    pos = i;
    return {};
  }
  if (text[i] != ';') return "expected ';' before parameter";
  ++i;
  skipWs();
  const size_t nameStart = i;
  while (i < n && (isTokenChar(text[i]) || (!allowQuoted && isUriParamExtra(text[i])))) ++i;
  if (i == nameStart) return "empty parameter name";
  p.name = text.substr(nameStart, i - nameStart);
  skipWs();
  if (i < n && text[i] == '=') {
    ++i;
    skipWs();
    p.hasValue = true;
    const size_t start = i;
    if (i < n && text[i] == '"') {
      if (!allowQuoted) return "quoted parameter value not allowed here";
      ++i;
      bool closed = false;
      while (i < n) {
        if (text[i] == '\\') {
          i += 2;
          continue;
        }
        if (text[i++] == '"') {
          closed = true;
          break;
        }
      }
      if (!closed) return "unterminated quoted parameter value";
    } else if (i < n && text[i] == '[') {
      while (i < n && text[i] != ']') ++i;
      if (i == n) return "unterminated IPv6 reference in parameter";
      ++i;
    } else {
      // Tokens, plus ':' for host:port values and the URI-parameter characters RFC 3261
      // allows unreserved in param values ('[', ']', '/', '&', '$' ...).
      while (i < n && (isTokenChar(text[i]) || text[i] == ':' || text[i] == '/' ||
                       text[i] == '&' || text[i] == '$' || text[i] == '[' || text[i] == ']' ||
                       (!allowQuoted && isUriParamExtra(text[i])))) {
        ++i;
      }
      if (i == start) return "empty parameter value";
    }
    p.value = text.substr(start, i - start);
  }
  pos = i;
  return {};
}

Result<ParamList> ParamList::parse(std::string_view text, bool allowQuoted) {
  ParamList list;
  list.text_ = text;
  list.allowQuoted_ = allowQuoted;
  size_t pos = 0;
  Param p;
  for (;;) {
    std::string_view err = next(text, pos, p, allowQuoted);
    if (!err.empty()) return Error{err};
    if (p.name.empty()) break;
    ++list.count_;
  }
  return list;
}

std::optional<Param> ParamList::find(std::string_view name) const {
  size_t pos = 0;
  Param p;
  while (next(text_, pos, p, allowQuoted_).empty() && !p.name.empty()) {
    if (equalsIgnoreCase(p.name, name)) return p;
  }
  return std::nullopt;
}

}  // namespace tg::sip
