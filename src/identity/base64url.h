#pragma once

// Base64url without padding (RFC 4648 §5, as JWS uses it: RFC 7515 §2).

#include <optional>
#include <string>
#include <string_view>

namespace tg::identity {

// nullopt on a character outside the alphabet, padding, a length no encoding produces
// (4n+1), or non-zero bits left over in the last character (a second spelling of the same bytes).
std::optional<std::string> decodeBase64Url(std::string_view text);
std::string encodeBase64Url(std::string_view bytes);

}  // namespace tg::identity
