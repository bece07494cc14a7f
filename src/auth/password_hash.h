#pragma once

// Admin API passwords at rest: scrypt (RFC 7914, OpenSSL's EVP_PBE_scrypt) with a random salt,
// so a copy of the database costs an attacker ~32 MiB of memory and tens of ms per guess.
// (Phone accounts keep HA1 digests instead: SIP digest needs them.) The stored text names its
// parameters, so they can grow later without breaking the hashes already stored:
//
//   scrypt$<log2 N>$<r>$<p>$<salt hex>$<key hex>

#include <string>
#include <string_view>

namespace tg::auth {

struct ScryptParams {
  int logN = 15;  // N = 32768: 128 * N * r = 32 MiB
  int r = 8;
  int p = 1;
};

// "" when OpenSSL fails (out of memory).
std::string hashAdminPassword(std::string_view password, const ScryptParams& params = {});

// Whether `password` matches `stored` (compared in constant time). False for "" or a malformed
// or unreasonably expensive stored value.
bool verifyAdminPassword(std::string_view password, std::string_view stored);

}  // namespace tg::auth
