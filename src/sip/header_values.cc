#include "sip/header_values.h"

#include "sip/scan.h"

namespace tg::sip {

Result<CSeq> parseCSeq(std::string_view value) {
  value = trim(value);
  size_t i = 0;
  while (i < value.size() && isDigit(value[i])) ++i;
  if (i == 0) return Error{"CSeq without a sequence number"};
  auto number = parseDecimal(value.substr(0, i), (1u << 31) - 1);
  if (!number) return Error{"CSeq sequence number out of range"};
  const std::string_view method = trim(value.substr(i));
  if (method.size() == value.size() - i) return Error{"CSeq without a method"};
  if (!isToken(method)) return Error{"malformed CSeq method"};
  CSeq cseq;
  cseq.number = static_cast<uint32_t>(*number);
  cseq.methodText = method;
  cseq.method = methodFromName(method);
  return cseq;
}

Result<uint32_t> parseScalar(std::string_view value, uint32_t max) {
  auto v = parseDecimal(trim(value), max);
  if (!v) return Error{"malformed or out-of-range number"};
  return static_cast<uint32_t>(*v);
}

namespace {

// Call-ID characters as we check them: no white space, no controls.
constexpr CharTable makeCallIdChars() {
  CharTable t = CharTable::allBut("");
  for (int c = 0; c <= ' '; ++c) t.v[c] = false;
  t.v[0x7F] = false;
  return t;
}
inline constexpr CharTable kCallIdChars = makeCallIdChars();

}  // namespace

bool isValidCallId(std::string_view value) {
  return !value.empty() && skipWhile(value, 0, kCallIdChars) == value.size();
}

bool isTokenList(std::string_view list) {
  // Each element is LWS, at most one token, LWS. Any other character lands in some element and
  // makes it a non-token (quotes and angle brackets too, so the quote-aware split is not
  // needed to get the same answer).
  const size_t n = list.size();
  size_t i = 0;
  for (;;) {
    while (i < n && isLws(list[i])) ++i;
    i = skipWhile(list, i, kTokenChars);
    while (i < n && isLws(list[i])) ++i;
    if (i == n) return true;
    if (list[i] != ',') return false;
    ++i;
  }
}

bool MediaType::is(std::string_view t, std::string_view s) const {
  return equalsIgnoreCase(type, t) && equalsIgnoreCase(subtype, s);
}

Result<MediaType> parseMediaType(std::string_view value) {
  value = trim(value);
  MediaType mt;
  size_t pos = 0;
  while (pos < value.size() && isTokenChar(value[pos])) ++pos;
  mt.type = value.substr(0, pos);
  while (pos < value.size() && isLws(value[pos])) ++pos;
  if (mt.type.empty() || pos == value.size() || value[pos] != '/') {
    return Error{"malformed media type"};
  }
  ++pos;
  while (pos < value.size() && isLws(value[pos])) ++pos;
  const size_t subStart = pos;
  while (pos < value.size() && isTokenChar(value[pos])) ++pos;
  mt.subtype = value.substr(subStart, pos - subStart);
  if (mt.subtype.empty()) return Error{"malformed media subtype"};
  auto params = ParamList::parse(value.substr(pos));
  if (!params) return Error{"malformed media type parameters"};
  mt.params = *params;
  return mt;
}

}  // namespace tg::sip
