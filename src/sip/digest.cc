#include "sip/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <initializer_list>

#include "sip/scan.h"

namespace tg::sip {

namespace {

// SHA-512-256 here is FIPS 180-4 SHA-512/256 (its own initial hash value), which is what
// RFC 8760 and the SIP implementations that ship it (Kamailio, PJSIP) use. The example values
// printed in RFC 7616 §3.9.2 were computed with plain SHA-512 truncated to 256 bits instead;
// erratum 4897 gives the SHA-512/256 values, which the unit tests check.
struct AlgorithmInfo {
  DigestAlgorithm alg;
  std::string_view name;
};

constexpr std::array<AlgorithmInfo, 6> kAlgorithms = {{
    {DigestAlgorithm::kMd5, "MD5"},
    {DigestAlgorithm::kMd5Sess, "MD5-sess"},
    {DigestAlgorithm::kSha256, "SHA-256"},
    {DigestAlgorithm::kSha256Sess, "SHA-256-sess"},
    {DigestAlgorithm::kSha512_256, "SHA-512-256"},
    {DigestAlgorithm::kSha512_256Sess, "SHA-512-256-sess"},
}};

constexpr size_t kMaxHex = 64;

// One hash in hex, held in place so intermediate values (HA1, HA2, H(body)) never allocate.
// size == 0 means the hash failed.
struct Hex {
  std::array<char, kMaxHex> data{};
  size_t size = 0;

  bool ok() const { return size != 0; }
  std::string_view view() const { return {data.data(), size}; }
};

// Fetched once: with the legacy EVP_md5()-style getters OpenSSL 3 repeats an implicit provider
// fetch on every EVP_DigestInit. A null result (e.g. MD5 refused under FIPS) makes hashing
// fail cleanly.
const EVP_MD* messageDigest(DigestAlgorithm alg) {
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static EVP_MD* const sha512_256 = EVP_MD_fetch(nullptr, "SHA2-512/256", nullptr);
  switch (alg) {
    case DigestAlgorithm::kMd5:
    case DigestAlgorithm::kMd5Sess:
      return md5;
    case DigestAlgorithm::kSha256:
    case DigestAlgorithm::kSha256Sess:
      return sha256;
    case DigestAlgorithm::kSha512_256:
    case DigestAlgorithm::kSha512_256Sess:
      return sha512_256;
  }
  return nullptr;
}

// One context per thread, reused, instead of an EVP_MD_CTX_new/free pair per hash.
EVP_MD_CTX* threadContext() {
  struct Holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Holder() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Holder holder;
  return holder.ctx;
}

// H(parts[0] ":" parts[1] ":" ...). Each call finishes before the next starts, so the shared
// per-thread context is never used by two hashes at once.
Hex hashJoined(DigestAlgorithm alg, std::initializer_list<std::string_view> parts) {
  Hex out;
  EVP_MD_CTX* ctx = threadContext();
  const EVP_MD* md = messageDigest(alg);
  if (ctx == nullptr || md == nullptr || EVP_DigestInit_ex2(ctx, md, nullptr) != 1) return out;
  bool first = true;
  for (std::string_view part : parts) {
    if (!first && EVP_DigestUpdate(ctx, ":", 1) != 1) return out;
    first = false;
    if (!part.empty() && EVP_DigestUpdate(ctx, part.data(), part.size()) != 1) return out;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> raw{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, raw.data(), &len) != 1 || len == 0 || len * 2 > kMaxHex) {
    return out;
  }
  constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    out.data[2 * i] = kDigits[raw[i] >> 4];
    out.data[2 * i + 1] = kDigits[raw[i] & 0x0f];
  }
  out.size = len * 2;
  return out;
}

std::string toString(const Hex& h) { return std::string(h.view()); }

Hex sessionHa1(DigestAlgorithm alg, std::string_view ha1, std::string_view nonce,
               std::string_view cnonce) {
  if (ha1.empty()) return {};
  return hashJoined(alg, {ha1, nonce, cnonce});
}

Hex a2Hash(DigestAlgorithm alg, std::string_view method, std::string_view uri, DigestQop qop,
           std::string_view body) {
  if (qop != DigestQop::kAuthInt) return hashJoined(alg, {method, uri});
  const Hex bodyHash = hashJoined(alg, {body});
  if (!bodyHash.ok()) return {};
  return hashJoined(alg, {method, uri, bodyHash.view()});
}

Hex responseHash(DigestAlgorithm alg, std::string_view ha1, std::string_view nonce,
                 std::string_view nc, std::string_view cnonce, DigestQop qop,
                 std::string_view ha2) {
  // An empty HA1/HA2 is a failure upstream; hashing it would produce a plausible-looking value.
  if (ha1.empty() || ha2.empty()) return {};
  if (qop == DigestQop::kNone) return hashJoined(alg, {ha1, nonce, ha2});
  return hashJoined(alg, {ha1, nonce, nc, cnonce, name(qop), ha2});
}

}  // namespace

std::optional<DigestAlgorithm> parseDigestAlgorithm(std::string_view token) {
  if (token.empty()) return DigestAlgorithm::kMd5;
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (equalsIgnoreCase(token, info.name)) return info.alg;
  }
  return std::nullopt;
}

std::string_view name(DigestAlgorithm alg) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (info.alg == alg) return info.name;
  }
  return {};
}

std::optional<DigestQop> parseDigestQop(std::string_view token) {
  if (token.empty()) return DigestQop::kNone;
  if (equalsIgnoreCase(token, "auth")) return DigestQop::kAuth;
  if (equalsIgnoreCase(token, "auth-int")) return DigestQop::kAuthInt;
  return std::nullopt;
}

std::string_view name(DigestQop qop) {
  switch (qop) {
    case DigestQop::kNone:
      return {};
    case DigestQop::kAuth:
      return "auth";
    case DigestQop::kAuthInt:
      return "auth-int";
  }
  return {};
}

std::string hashHex(DigestAlgorithm alg, std::string_view data) {
  return toString(hashJoined(alg, {data}));
}

std::string userhash(DigestAlgorithm alg, std::string_view username, std::string_view realm) {
  return toString(hashJoined(alg, {username, realm}));
}

std::string ha1(DigestAlgorithm alg, std::string_view username, std::string_view realm,
                std::string_view password, std::string_view nonce, std::string_view cnonce) {
  const Hex base = hashJoined(alg, {username, realm, password});
  if (!isSession(alg) || !base.ok()) return toString(base);
  return toString(sessionHa1(alg, base.view(), nonce, cnonce));
}

std::string ha1Sess(DigestAlgorithm alg, std::string_view ha1, std::string_view nonce,
                    std::string_view cnonce) {
  return toString(sessionHa1(alg, ha1, nonce, cnonce));
}

std::string ha2(DigestAlgorithm alg, std::string_view method, std::string_view digestUri,
                DigestQop qop, std::string_view body) {
  return toString(a2Hash(alg, method, digestUri, qop, body));
}

std::string ha2FromBodyHash(DigestAlgorithm alg, std::string_view method,
                            std::string_view digestUri, std::string_view bodyHashHex) {
  if (bodyHashHex.empty()) return {};
  return toString(hashJoined(alg, {method, digestUri, bodyHashHex}));
}

std::string response(DigestAlgorithm alg, std::string_view ha1, std::string_view nonce,
                     std::string_view nc, std::string_view cnonce, DigestQop qop,
                     std::string_view ha2) {
  return toString(responseHash(alg, ha1, nonce, nc, cnonce, qop, ha2));
}

std::string computeResponse(const DigestInputs& in) {
  Hex a1;
  std::string_view a1View = in.storedHa1;
  if (a1View.empty()) {
    a1 = hashJoined(in.algorithm, {in.username, in.realm, in.password});
    if (!a1.ok()) return {};
    a1View = a1.view();
  }
  Hex sess;
  if (isSession(in.algorithm)) {
    sess = sessionHa1(in.algorithm, a1View, in.nonce, in.cnonce);
    if (!sess.ok()) return {};
    a1View = sess.view();
  }
  const Hex a2 = a2Hash(in.algorithm, in.method, in.uri, in.qop, in.body);
  if (!a2.ok()) return {};
  return toString(
      responseHash(in.algorithm, a1View, in.nonce, in.nc, in.cnonce, in.qop, a2.view()));
}

bool constantTimeEquals(std::string_view expected, std::string_view received) {
  // An empty expected value is a hashing failure; refusing it depends on nothing secret.
  if (expected.empty()) return false;
  // On a length mismatch compare expected with itself: the same work as a real comparison,
  // and no byte of `received` decides how long it takes.
  const bool sameLength = expected.size() == received.size();
  const char* other = sameLength ? received.data() : expected.data();
  const int diff = CRYPTO_memcmp(expected.data(), other, expected.size());
  return sameLength && diff == 0;
}

}  // namespace tg::sip
