#pragma once

// ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4) over a JWS signing input, with OpenSSL.

#include <openssl/evp.h>

#include <memory>
#include <string_view>

namespace tg::identity {

using PublicKey = std::shared_ptr<EVP_PKEY>;

// True when `signature` (R||S, 64 bytes) signs `signingInput` under `key` (a P-256 key).
bool verifyEs256(EVP_PKEY* key, std::string_view signingInput, std::string_view signature);

}  // namespace tg::identity
