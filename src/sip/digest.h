#pragma once

// HTTP Digest arithmetic as SIP uses it (RFC 3261 §22.4, RFC 7616 §3.4, RFC 8760): H(A1),
// H(A2), the response, the userhash, and a timing-safe comparison. Hashing is OpenSSL 3 EVP.
//
// Every hash is returned as lowercase hex. An empty string means hashing itself failed (an
// algorithm the OpenSSL provider refuses, e.g. MD5 under FIPS); constantTimeEquals() never
// treats an empty string as a match, so a failure can never authenticate anyone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tg::sip {

enum class DigestAlgorithm : uint8_t {
  kMd5,
  kMd5Sess,
  kSha256,
  kSha256Sess,
  kSha512_256,  // FIPS 180-4 SHA-512/256 (own IV), not truncated SHA-512; see digest.cc
  kSha512_256Sess,
};

// Parses the `algorithm=` token, case-insensitively. An empty token (parameter absent) means
// MD5 (RFC 7616 §3.3). Unknown algorithms, e.g. AKAv1-MD5, are nullopt.
std::optional<DigestAlgorithm> parseDigestAlgorithm(std::string_view token);

// The canonical spelling for `algorithm=` ("MD5", "SHA-256-sess", ...).
std::string_view name(DigestAlgorithm alg);

constexpr bool isSession(DigestAlgorithm alg) {
  return alg == DigestAlgorithm::kMd5Sess || alg == DigestAlgorithm::kSha256Sess ||
         alg == DigestAlgorithm::kSha512_256Sess;
}

// Length of one hash in hex characters: 32 for MD5, 64 for the SHA-2 family.
constexpr size_t hexLength(DigestAlgorithm alg) {
  return (alg == DigestAlgorithm::kMd5 || alg == DigestAlgorithm::kMd5Sess) ? 32 : 64;
}

// Quality of protection of one request. kNone is the RFC 2069 compatibility form.
enum class DigestQop : uint8_t { kNone, kAuth, kAuthInt };

// "" -> kNone, "auth" -> kAuth, "auth-int" -> kAuthInt (case-insensitive); else nullopt.
std::optional<DigestQop> parseDigestQop(std::string_view token);
std::string_view name(DigestQop qop);

// H(data) in hex.
std::string hashHex(DigestAlgorithm alg, std::string_view data);

// H(username ":" realm), sent as the username when the challenge asked for userhash=true
// (RFC 7616 §3.4.4).
std::string userhash(DigestAlgorithm alg, std::string_view username, std::string_view realm);

// H(A1). For the -sess variants this is H(H(username:realm:password):nonce:cnonce)
// (RFC 7616 §3.4.2) and nonce/cnonce are required; otherwise they are ignored.
std::string ha1(DigestAlgorithm alg, std::string_view username, std::string_view realm,
                std::string_view password, std::string_view nonce = {},
                std::string_view cnonce = {});

// The -sess step on a stored H(username:realm:password): H(ha1:nonce:cnonce). Lets a server
// that keeps only HA1 (never the password) answer -sess challenges.
std::string ha1Sess(DigestAlgorithm alg, std::string_view ha1, std::string_view nonce,
                    std::string_view cnonce);

// H(A2) = H(method:uri) for qop absent or auth, H(method:uri:H(body)) for auth-int.
std::string ha2(DigestAlgorithm alg, std::string_view method, std::string_view digestUri,
                DigestQop qop, std::string_view body = {});

// As ha2() with qop=auth-int, for a caller that already holds H(body) in hex.
std::string ha2FromBodyHash(DigestAlgorithm alg, std::string_view method,
                            std::string_view digestUri, std::string_view bodyHashHex);

// The request-digest: H(ha1:nonce:nc:cnonce:qop:ha2), or H(ha1:nonce:ha2) when qop is kNone
// (RFC 2069 form; nc and cnonce are then ignored). `ha1` must already be the session HA1 for
// the -sess variants.
std::string response(DigestAlgorithm alg, std::string_view ha1, std::string_view nonce,
                     std::string_view nc, std::string_view cnonce, DigestQop qop,
                     std::string_view ha2);

// Everything one response needs. Values are plain (unquoted, unescaped) text.
struct DigestInputs {
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  std::string_view username;
  std::string_view realm;
  std::string_view password;
  // H(username:realm:password) as a server may store it. When non-empty the password is not
  // used; the -sess step is still applied for the -sess algorithms.
  std::string_view storedHa1;
  std::string_view method;
  std::string_view uri;
  std::string_view nonce;
  std::string_view nc;
  std::string_view cnonce;
  DigestQop qop = DigestQop::kNone;
  std::string_view body;  // hashed only for auth-int
};

// The expected `response=` value for `in`. Intermediate hashes live in fixed buffers, so the
// result string is this code's only allocation (OpenSSL 3.0 itself still allocates a small
// provider context per hash; avoiding that would need its deprecated low-level API).
std::string computeResponse(const DigestInputs& in);

// Compares without an early exit on the first differing byte (CRYPTO_memcmp). Pass the secret
// or expected value as `expected`: the running time depends only on expected.size(), never on
// the contents of either side, and a length mismatch still costs a full comparison. Empty
// strings never match (they signal a hashing failure, and an empty proof proves nothing).
bool constantTimeEquals(std::string_view expected, std::string_view received);

}  // namespace tg::sip
