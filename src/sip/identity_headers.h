#pragma once

// Identity-related header values: P-Asserted-Identity (RFC 3325), Privacy (RFC 3323),
// Identity (RFC 8224, STIR/SHAKEN), and the product tokens of User-Agent / Server (RFC 3261
// §20.41), which the audit uses to spot outdated PBX software.

#include <cstdint>
#include <string_view>
#include <vector>

#include "sip/name_addr.h"
#include "sip/params.h"
#include "sip/result.h"

namespace tg::sip {

// P-Asserted-Identity: one or two name-addrs (a sip/sips and/or a tel URI).
Result<std::vector<NameAddr>> parseAssertedIdentity(std::string_view value);

// Privacy values as a bit set; unknown tokens make the header malformed.
enum PrivacyFlag : uint8_t {
  kPrivacyNone = 1 << 0,
  kPrivacyHeader = 1 << 1,
  kPrivacySession = 1 << 2,
  kPrivacyUser = 1 << 3,
  kPrivacyId = 1 << 4,
  kPrivacyCritical = 1 << 5,
};
Result<uint8_t> parsePrivacy(std::string_view value);

// Identity = signed-identity-digest *( SEMI ident-info-params ), e.g.
// "eyJhbGciOi...;info=<https://cert.example.org/passport.cer>;alg=ES256;ppt=shaken".
struct IdentityHeader {
  std::string_view token;  // the compact-form PASSporT (base64url parts joined by '.')
  std::string_view info;   // the certificate URL inside <>
  std::string_view alg;    // "ES256" when given
  std::string_view ppt;    // "shaken" when given
  ParamList params;
};
Result<IdentityHeader> parseIdentity(std::string_view value);

// User-Agent / Server: product [ "/" version ] and comments in parentheses.
struct Product {
  std::string_view name;
  std::string_view version;
};
Result<std::vector<Product>> parseProducts(std::string_view value);

}  // namespace tg::sip
