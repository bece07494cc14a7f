#include "identity/telephone_number.h"

namespace tg::identity {

std::optional<std::string> canonicalTn(std::string_view number, std::string_view countryCode) {
  bool international = false;
  if (!number.empty() && number.front() == '+') {
    international = true;
    number.remove_prefix(1);
  }
  std::string digits;
  for (char c : number) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != '-' && c != '.' && c != '(' && c != ')' && c != ' ') {
      return std::nullopt;  // RFC 3966 visual separators only
    }
    if (digits.size() > 15) return std::nullopt;
  }
  if (digits.size() < 3) return std::nullopt;
  if (international || countryCode.empty()) return digits;
  if (digits.size() >= 11 && digits.compare(0, countryCode.size(), countryCode) == 0) return digits;
  if (digits.front() == '0') digits.erase(0, 1);
  std::string out(countryCode);
  out += digits;
  if (out.size() > 15) return std::nullopt;
  return out;
}

std::optional<std::string> uriTn(const sip::Uri& uri, std::string_view countryCode) {
  std::string_view user;
  if (uri.scheme == sip::UriScheme::kTel) {
    user = uri.user;
  } else if (uri.isSipOrSips() && uri.hasUser) {
    user = uri.user;
  } else {
    return std::nullopt;
  }
  user = user.substr(0, user.find(';'));
  if (user.size() >= 3 && user[0] == '%' && user[1] == '2' && (user[2] == 'B' || user[2] == 'b')) {
    std::string plus = "+";
    plus += user.substr(3);
    return canonicalTn(plus, countryCode);
  }
  return canonicalTn(user, countryCode);
}

}  // namespace tg::identity
