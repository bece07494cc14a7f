#pragma once

// PASSporT (RFC 8225) in JWS compact form, with the SHAKEN extension (RFC 8588): decoded and
// checked for shape only. The signature and the claims against the call are verifier.h's.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/result.h"

namespace tg::identity {

// A token, header or payload larger than this is refused before decoding.
inline constexpr size_t kMaxPassportSize = 8192;

enum class Attestation : uint8_t { kNone, kA, kB, kC };
std::string_view attestationName(Attestation a);  // "A", "B", "C", "" for none

struct Passport {
  // JOSE header.
  std::string alg;  // "ES256"
  std::string typ;  // "passport"
  std::string ppt;  // "shaken"; empty for a plain PASSporT
  std::string x5u;  // the signer's certificate URL
  // Claims.
  std::string origTn;                       // orig.tn as written
  std::vector<std::string> destTn;          // dest.tn as written (at least one)
  int64_t iat = 0;                          // seconds since the epoch
  Attestation attest = Attestation::kNone;  // ppt shaken: required
  std::string origid;                       // ppt shaken: required, a UUID
  // What the signature covers ("<header>.<payload>" as received) and the raw R||S signature.
  std::string signingInput;
  std::string signature;
};

// Decodes "<header>.<payload>.<signature>". Each failure has its own reason, e.g. "PASSporT
// header is not base64url", "PASSporT alg is not ES256", "SHAKEN PASSporT without attest".
sip::Result<Passport> decodePassport(std::string_view compact);

}  // namespace tg::identity
