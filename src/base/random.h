#pragma once

// Unpredictable identifiers (Call-IDs, tags, branches, nonces): an attacker who could guess
// them could inject into dialogs. Bytes come from OpenSSL's CSPRNG, drawn in blocks so that the
// per-call cost stays small.

#include <cstddef>
#include <cstdint>
#include <string>

namespace tg::base {

// `bytes` random bytes as lowercase hex (2 * bytes characters).
std::string randomHex(size_t bytes);
uint64_t randomU64();

}  // namespace tg::base
