#include "db/token_store.h"

namespace tg::db {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, name, role, secret_sha256, created_by, created_ms, revoked_ms FROM api_tokens";

TokenRecord readToken(const Statement& s) {
  return {s.columnText(0), s.columnText(1),  s.columnText(2), s.columnText(3),
          s.columnText(4), s.columnInt64(5), s.columnInt64(6)};
}

}  // namespace

TokenStore::TokenStore(const std::string& path)
    : db_(path),
      insert_(db_.prepare("INSERT INTO api_tokens(id, name, role, secret_sha256, created_by,"
                          " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
      revoke_(db_.prepare("UPDATE api_tokens SET revoked_ms = ?2"
                          " WHERE (id = ?1 OR name = ?1) AND revoked_ms = 0")),
      list_(db_.prepare(std::string(kColumns) + " ORDER BY name")),
      find_(db_.prepare(std::string(kColumns) + " WHERE id = ?1")) {}

std::string TokenStore::note(std::string error) {
  if (!error.empty()) lastError_ = db_.path() + ": api_tokens: " + error;
  return error;
}

std::string TokenStore::add(const TokenRecord& t, bool* exists) {
  insert_.bind(1, t.id).bind(2, t.name).bind(3, t.role).bind(4, t.secretSha256);
  insert_.bind(5, t.createdBy).bind(6, t.createdMs);
  std::string error;
  if (insert_.step() == Statement::Step::kError) error = insert_.errorMessage();
  insert_.reset();
  if (exists != nullptr) *exists = error.find("UNIQUE constraint failed") != std::string::npos;
  return note(std::move(error));
}

std::string TokenStore::revoke(const std::string& idOrName, int64_t nowMs, bool* found) {
  revoke_.bind(1, idOrName).bind(2, nowMs);
  std::string error;
  if (revoke_.step() == Statement::Step::kError) error = revoke_.errorMessage();
  revoke_.reset();
  if (found != nullptr) *found = error.empty() && db_.changes() > 0;
  return note(std::move(error));
}

std::vector<TokenRecord> TokenStore::list() {
  std::vector<TokenRecord> out;
  for (;;) {
    const Statement::Step step = list_.step();
    if (step == Statement::Step::kRow) {
      out.push_back(readToken(list_));
      continue;
    }
    if (step == Statement::Step::kError) note(list_.errorMessage());
    break;
  }
  list_.reset();
  return out;
}

std::optional<TokenRecord> TokenStore::find(const std::string& id) {
  find_.bind(1, id);
  std::optional<TokenRecord> out;
  const Statement::Step step = find_.step();
  if (step == Statement::Step::kRow) out = readToken(find_);
  if (step == Statement::Step::kError) note(find_.errorMessage());
  find_.reset();
  return out;
}

}  // namespace tg::db
