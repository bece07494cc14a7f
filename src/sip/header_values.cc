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

bool isValidCallId(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7F) return false;
  }
  return true;
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
