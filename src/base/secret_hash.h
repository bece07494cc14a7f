#pragma once

// Short secrets the gateway only has to recognise, never to send on (call codes), kept at rest
// as salted hashes instead of the secret itself:
//
//   pbkdf2-sha256$<iterations>$<hex of 16-byte salt>$<hex of 32-byte PBKDF2-HMAC-SHA256>
//
// A hash keeps a code out of the config file, its backups and every screen it is shown on. It
// does not make a short code hard to guess offline: 10^4 four-digit codes are tried in seconds
// whatever the hash, so the code's length is what protects it once the file has leaked
// (docs/policy.md says so). Comparisons are constant-time (CRYPTO_memcmp).

#include <string>
#include <string_view>

namespace tg::base {

inline constexpr std::string_view kSecretHashPrefix = "pbkdf2-sha256$";
// Enough to make each guess cost something, little enough that checking a code against a few
// hundred users' hashes on a new call stays in the milliseconds.
inline constexpr int kSecretHashIterations = 2000;

// A new random salt each call. "" only if OpenSSL fails.
std::string hashSecret(std::string_view secret, int iterations = kSecretHashIterations);

// Looks like a hash hashSecret() wrote (prefix, iterations 1..10^7, salt and hash hex of the
// right lengths); *why says what is wrong otherwise.
bool isSecretHash(std::string_view stored, std::string* why = nullptr);

// Whether `secret` is the one `stored` (a hash) was made from; false for a malformed hash.
bool secretMatches(std::string_view secret, std::string_view stored);

// Constant-time equality of two plaintexts (their lengths are not secret).
bool equalConstantTime(std::string_view a, std::string_view b);

}  // namespace tg::base
