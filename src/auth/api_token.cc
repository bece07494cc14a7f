#include "auth/api_token.h"

#include <algorithm>
#include <cctype>

#include "base/random.h"
#include "sip/digest.h"

namespace tg::auth {
namespace {

constexpr std::string_view kPrefix = "tg_";
constexpr size_t kIdBytes = 8;
constexpr size_t kSecretBytes = 32;

bool isLowerHex(std::string_view s, size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0 || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string_view roleName(ApiRole role) { return role == ApiRole::kAdmin ? "admin" : "viewer"; }

std::optional<ApiRole> parseRole(std::string_view name) {
  if (name == "viewer") return ApiRole::kViewer;
  if (name == "admin") return ApiRole::kAdmin;
  return std::nullopt;
}

NewApiToken makeApiToken() {
  NewApiToken t;
  t.id = base::randomHex(kIdBytes);
  const std::string secret = base::randomHex(kSecretBytes);
  t.token = std::string(kPrefix) + t.id + "_" + secret;
  t.secretSha256 = tokenSecretHash(secret);
  return t;
}

std::optional<ApiTokenParts> parseApiToken(std::string_view token) {
  if (!token.starts_with(kPrefix)) return std::nullopt;
  token.remove_prefix(kPrefix.size());
  const std::string_view id = token.substr(0, kIdBytes * 2);
  if (!isLowerHex(id, kIdBytes * 2) || token.substr(kIdBytes * 2, 1) != "_") return std::nullopt;
  const std::string_view secret = token.substr(kIdBytes * 2 + 1);
  if (!isLowerHex(secret, kSecretBytes * 2)) return std::nullopt;
  return ApiTokenParts{std::string(id), std::string(secret)};
}

std::string tokenSecretHash(std::string_view secret) {
  return sip::hashHex(sip::DigestAlgorithm::kSha256, secret);
}

}  // namespace tg::auth
