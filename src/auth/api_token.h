#pragma once

// Bearer tokens of the admin API (Authorization: Bearer tg_<id>_<secret>): 8 random bytes of
// public id, to find the row, and 32 of secret. Only SHA-256 of the secret is stored
// (db/token_store.h): 256 random bits need no slow KDF, and a lookup stays cheap.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tg::auth {

enum class ApiRole : uint8_t { kViewer, kAdmin };
std::string_view roleName(ApiRole role);  // "viewer", "admin"
std::optional<ApiRole> parseRole(std::string_view name);

struct NewApiToken {
  std::string token;  // shown once to whoever made it
  std::string id;
  std::string secretSha256;
};
NewApiToken makeApiToken();

struct ApiTokenParts {
  std::string id;
  std::string secret;
};
// nullopt unless `token` has the shape makeApiToken() gives.
std::optional<ApiTokenParts> parseApiToken(std::string_view token);

// The hex SHA-256 that is stored for a secret.
std::string tokenSecretHash(std::string_view secret);

}  // namespace tg::auth
