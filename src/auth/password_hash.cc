#include "auth/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/hex.h"
#include "base/random.h"

namespace tg::auth {
namespace {

constexpr std::string_view kScheme = "scrypt";
constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;
// Refuse stored parameters beyond these: a tampered row must not make a login eat the host.
constexpr int kMaxLogN = 20;
constexpr int kMaxR = 16;
constexpr int kMaxP = 4;

// Empty is no hash.
std::optional<std::vector<unsigned char>> fromHex(std::string_view hex) {
  if (hex.empty()) return std::nullopt;
  return base::fromHex(hex);
}

std::optional<std::vector<unsigned char>> derive(std::string_view password,
                                                 const std::vector<unsigned char>& salt,
                                                 const ScryptParams& params, size_t keyBytes) {
  std::vector<unsigned char> key(keyBytes);
  const uint64_t n = uint64_t{1} << params.logN;
  // OpenSSL's default memory cap (32 MiB) is just below what N = 2^15, r = 8 needs.
  const uint64_t maxMem = 128 * n * static_cast<uint64_t>(params.r) * 2 + (1 << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n,
                     static_cast<uint64_t>(params.r), static_cast<uint64_t>(params.p), maxMem,
                     key.data(), key.size()) != 1) {
    return std::nullopt;
  }
  return key;
}

std::optional<int> field(std::string_view& text) {
  const size_t end = text.find('$');
  if (end == std::string_view::npos) return std::nullopt;
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, value);
  if (ec != std::errc() || ptr != text.data() + end) return std::nullopt;
  text.remove_prefix(end + 1);
  return value;
}

}  // namespace

std::string hashAdminPassword(std::string_view password, const ScryptParams& params) {
  const std::optional<std::vector<unsigned char>> salt = fromHex(base::randomHex(kSaltBytes));
  const auto key = derive(password, *salt, params, kKeyBytes);
  if (!key) return {};
  return std::string(kScheme) + "$" + std::to_string(params.logN) + "$" + std::to_string(params.r) +
         "$" + std::to_string(params.p) + "$" + base::toHex(*salt) + "$" + base::toHex(*key);
}

bool verifyAdminPassword(std::string_view password, std::string_view stored) {
  if (!stored.starts_with(kScheme) || stored.substr(kScheme.size(), 1) != "$") return false;
  std::string_view rest = stored.substr(kScheme.size() + 1);
  ScryptParams params;
  const auto logN = field(rest);
  const auto r = field(rest);
  const auto p = field(rest);
  if (!logN || !r || !p || *logN < 1 || *logN > kMaxLogN || *r < 1 || *r > kMaxR || *p < 1 ||
      *p > kMaxP) {
    return false;
  }
  params = {*logN, *r, *p};
  const size_t dollar = rest.find('$');
  if (dollar == std::string_view::npos) return false;
  const auto salt = fromHex(rest.substr(0, dollar));
  const auto expected = fromHex(rest.substr(dollar + 1));
  if (!salt || !expected || expected->size() > 64) return false;
  const auto key = derive(password, *salt, params, expected->size());
  return key && CRYPTO_memcmp(key->data(), expected->data(), key->size()) == 0;
}

}  // namespace tg::auth
