#include "base/secret_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include "base/hex.h"

namespace tg::base {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr int kMaxIterations = 10'000'000;

// Exactly `bytes` bytes of hex.
std::optional<std::vector<unsigned char>> fromHex(std::string_view hex, size_t bytes) {
  if (hex.size() != bytes * 2) return std::nullopt;
  return base::fromHex(hex);
}

struct Parsed {
  int iterations = 0;
  std::vector<unsigned char> salt;
  std::vector<unsigned char> hash;
};

std::optional<Parsed> parse(std::string_view stored, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Parsed> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  if (!stored.starts_with(kSecretHashPrefix)) return fail("does not start with pbkdf2-sha256$");
  std::string_view rest = stored.substr(kSecretHashPrefix.size());
  const size_t a = rest.find('$');
  const size_t b = a == std::string_view::npos ? a : rest.find('$', a + 1);
  if (b == std::string_view::npos) return fail("expected pbkdf2-sha256$ITERATIONS$SALT$HASH");
  Parsed p;
  const std::string_view iter = rest.substr(0, a);
  const auto [end, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), p.iterations);
  if (ec != std::errc() || end != iter.data() + iter.size() || p.iterations < 1 ||
      p.iterations > kMaxIterations) {
    return fail("the iteration count is not a number from 1 to 10000000");
  }
  auto salt = fromHex(rest.substr(a + 1, b - a - 1), kSaltBytes);
  if (!salt) return fail("the salt is not 32 lowercase hex digits");
  auto hash = fromHex(rest.substr(b + 1), kHashBytes);
  if (!hash) return fail("the hash is not 64 lowercase hex digits");
  p.salt = std::move(*salt);
  p.hash = std::move(*hash);
  return p;
}

bool derive(std::string_view secret, const unsigned char* salt, int iterations,
            unsigned char* out) {
  return PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), salt,
                           static_cast<int>(kSaltBytes), iterations, EVP_sha256(),
                           static_cast<int>(kHashBytes), out) == 1;
}

}  // namespace

std::string hashSecret(std::string_view secret, int iterations) {
  std::array<unsigned char, kSaltBytes> salt{};
  std::array<unsigned char, kHashBytes> hash{};
  if (iterations < 1 || iterations > kMaxIterations) return {};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return {};
  if (!derive(secret, salt.data(), iterations, hash.data())) return {};
  return std::string(kSecretHashPrefix) + std::to_string(iterations) + "$" +
         toHex(salt.data(), salt.size()) + "$" + toHex(hash.data(), hash.size());
}

bool isSecretHash(std::string_view stored, std::string* why) {
  return parse(stored, why).has_value();
}

bool secretMatches(std::string_view secret, std::string_view stored) {
  const auto p = parse(stored, nullptr);
  if (!p) return false;
  std::array<unsigned char, kHashBytes> hash{};
  if (!derive(secret, p->salt.data(), p->iterations, hash.data())) return false;
  return CRYPTO_memcmp(hash.data(), p->hash.data(), kHashBytes) == 0;
}

bool equalConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tg::base
