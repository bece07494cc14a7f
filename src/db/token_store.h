#pragma once

// The admin API's bearer tokens for machines, in the api_tokens table (migration 8). Only a
// SHA-256 of each token's secret part is stored (auth/api_token.h makes and checks them); a
// token is revoked by stamping revoked_ms, so the audit can still name it. Synchronous SQLite
// I/O: used by the CLI and under the admin API's database mutex.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"

namespace tg::db {

struct TokenRecord {
  std::string id;    // the token's public part
  std::string name;  // unique label: "prometheus", "ci"
  std::string role;  // "viewer" | "admin"
  std::string secretSha256;
  std::string createdBy;
  int64_t createdMs = 0;
  int64_t revokedMs = 0;  // 0: valid

  bool revoked() const { return revokedMs != 0; }
};

class TokenStore {
 public:
  // Opens (creating and migrating) the database; throws std::runtime_error: start-up only.
  explicit TokenStore(const std::string& path);

  // Each returns "" or SQLite's message (also in lastError()).
  // Fails when the id or name exists (*exists set).
  std::string add(const TokenRecord& token, bool* exists = nullptr);
  // Revokes the token whose id or name is `idOrName`; *found: whether a valid one was.
  std::string revoke(const std::string& idOrName, int64_t nowMs, bool* found);

  // Sorted by name, revoked ones included.
  std::vector<TokenRecord> list();
  std::optional<TokenRecord> find(const std::string& id);

  std::string lastError() const { return lastError_; }

 private:
  std::string note(std::string error);

  Database db_;
  Statement insert_;
  Statement revoke_;
  Statement list_;
  Statement find_;
  std::string lastError_;
};

}  // namespace tg::db
