#include "sip/identity_headers.h"

#include "sip/header_values.h"
#include "sip/scan.h"

namespace tg::sip {
namespace {

bool isBase64UrlOrDot(char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '='; }

}  // namespace

Result<std::vector<NameAddr>> parseAssertedIdentity(std::string_view value) {
  std::vector<NameAddr> out;
  bool ok = true;
  forEachListElement(value, [&](std::string_view e) {
    if (!ok) return;
    auto na = parseNameAddr(e);
    if (!na || !(na->uri.isSipOrSips() || na->uri.scheme == UriScheme::kTel)) {
      ok = false;
      return;
    }
    out.push_back(*na);
  });
  // RFC 3325 §9.1: at most one sip/sips and one tel identity.
  if (!ok || out.empty() || out.size() > 2) return Error{"malformed P-Asserted-Identity"};
  return out;
}

Result<uint8_t> parsePrivacy(std::string_view value) {
  uint8_t flags = 0;
  size_t start = 0;
  value = trim(value);
  if (value.empty()) return Error{"empty Privacy header"};
  while (start <= value.size()) {
    size_t end = value.find(';', start);
    if (end == std::string_view::npos) end = value.size();
    const std::string_view v = trim(value.substr(start, end - start));
    if (equalsIgnoreCase(v, "none"))
      flags |= kPrivacyNone;
    else if (equalsIgnoreCase(v, "header"))
      flags |= kPrivacyHeader;
    else if (equalsIgnoreCase(v, "session"))
      flags |= kPrivacySession;
    else if (equalsIgnoreCase(v, "user"))
      flags |= kPrivacyUser;
    else if (equalsIgnoreCase(v, "id"))
      flags |= kPrivacyId;
    else if (equalsIgnoreCase(v, "critical"))
      flags |= kPrivacyCritical;
    else
      return Error{"unknown Privacy value"};
    start = end + 1;
  }
  // "none" excludes every other value (RFC 3323 §4.2).
  if ((flags & kPrivacyNone) && flags != kPrivacyNone) return Error{"Privacy none with others"};
  return flags;
}

Result<IdentityHeader> parseIdentity(std::string_view value) {
  value = trim(value);
  IdentityHeader id;
  size_t i = 0;
  while (i < value.size() && isBase64UrlOrDot(value[i])) ++i;
  id.token = value.substr(0, i);
  // A PASSporT in compact form is header.payload.signature.
  size_t dots = 0;
  for (char c : id.token) dots += c == '.';
  if (id.token.empty() || dots != 2) return Error{"malformed Identity token"};
  // info=<uri> contains ';' and '=' inside the brackets: take it out before the generic params.
  std::string_view rest = value.substr(i);
  const size_t info = rest.find("info=<");
  if (info != std::string_view::npos) {
    const size_t close = rest.find('>', info);
    if (close == std::string_view::npos) return Error{"unterminated Identity info"};
    id.info = rest.substr(info + 6, close - info - 6);
    std::string_view before = rest.substr(0, info);
    while (!before.empty() && (isLws(before.back()) || before.back() == ';'))
      before.remove_suffix(1);
    if (!before.empty()) {
      auto p = ParamList::parse(before);
      if (!p) return Error{"malformed Identity parameters"};
    }
    rest = rest.substr(close + 1);
  }
  auto params = ParamList::parse(rest);
  if (!params) return Error{"malformed Identity parameters"};
  id.params = *params;
  id.alg = id.params.get("alg");
  id.ppt = id.params.get("ppt");
  return id;
}

Result<std::vector<Product>> parseProducts(std::string_view value) {
  std::vector<Product> out;
  size_t i = 0;
  const size_t n = value.size();
  while (i < n) {
    while (i < n && isLws(value[i])) ++i;
    if (i == n) break;
    if (value[i] == '(') {
      // A comment, possibly nested (RFC 3261 §25.1 comment).
      int depth = 0;
      for (; i < n; ++i) {
        if (value[i] == '\\') {
          ++i;
          continue;
        }
        if (value[i] == '(') ++depth;
        if (value[i] == ')' && --depth == 0) break;
      }
      if (depth != 0) return Error{"unterminated comment"};
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < n && isTokenChar(value[i])) ++i;
    if (i == start) return Error{"malformed product token"};
    Product p;
    p.name = value.substr(start, i - start);
    if (i < n && value[i] == '/') {
      const size_t vstart = ++i;
      while (i < n && isTokenChar(value[i])) ++i;
      if (i == vstart) return Error{"missing product version"};
      p.version = value.substr(vstart, i - vstart);
    }
    out.push_back(p);
  }
  if (out.empty()) return Error{"no product token"};
  return out;
}

}  // namespace tg::sip
