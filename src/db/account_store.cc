#include "db/account_store.h"

#include <sys/stat.h>

#include <sstream>
#include <utility>

namespace tg::db {
namespace {

constexpr std::string_view kColumns = R"sql(
SELECT username, realm, ha1_md5, ha1_sha256, ha1_sha512_256, allowed_networks,
       allowed_caller_ids, max_registrations, enabled, created_ms, password_changed_ms,
       locked_until_ms, lock_count, unlocked_ms FROM accounts)sql";

constexpr std::string_view kInsertSql = R"sql(
INSERT INTO accounts(username, realm, ha1_md5, ha1_sha256, ha1_sha512_256, allowed_networks,
                     allowed_caller_ids, max_registrations, enabled, created_ms,
                     password_changed_time, password_changed_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))sql";

constexpr std::string_view kAdminColumns =
    "SELECT name, totp_secret, last_totp_step, created_ms, failed_logins, first_failure_ms,"
    " locked_until_ms, lock_count, password_hash FROM admin_users";

AccountRecord readAccount(const Statement& s) {
  AccountRecord r;
  r.username = s.columnText(0);
  r.realm = s.columnText(1);
  r.ha1Md5 = s.columnText(2);
  r.ha1Sha256 = s.columnText(3);
  r.ha1Sha512_256 = s.columnText(4);
  r.allowedNetworks = splitWords(s.columnText(5));
  r.allowedCallerIds = splitWords(s.columnText(6));
  r.maxRegistrations = s.columnInt(7);
  r.enabled = s.columnInt(8) != 0;
  r.createdMs = s.columnInt64(9);
  r.passwordChangedMs = s.columnInt64(10);
  if (!s.columnIsNull(11)) r.lockedUntilMs = s.columnInt64(11);
  r.lockCount = s.columnInt(12);
  r.unlockedMs = s.columnInt64(13);
  return r;
}

AdminRecord readAdmin(const Statement& s) {
  AdminRecord r;
  r.name = s.columnText(0);
  r.totpSecretHex = s.columnText(1);
  r.lastTotpStep = s.columnInt64(2);
  r.createdMs = s.columnInt64(3);
  r.login.failures = s.columnInt(4);
  r.login.firstFailureMs = s.columnInt64(5);
  r.login.lockedUntilMs = s.columnInt64(6);
  r.login.lockCount = s.columnInt(7);
  r.passwordHash = s.columnText(8);
  return r;
}

bool isUniqueViolation(const std::string& error) {
  return error.find("UNIQUE constraint failed") != std::string::npos;
}

// Secrets live in this file: nobody but the owner reads it.
void restrictMode(const std::string& path) {
  if (path.empty() || path == ":memory:") return;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    ::chmod((path + suffix).c_str(), S_IRUSR | S_IWUSR);  // missing files are fine
  }
}

}  // namespace

std::string joinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<std::string> splitWords(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(std::move(w));
  return out;
}

AccountStore::AccountStore(const std::string& path)
    : db_(path),
      selectAll_(db_.prepare(std::string(kColumns) + " ORDER BY username")),
      find_(db_.prepare(std::string(kColumns) + " WHERE username = ?1")),
      insert_(db_.prepare(kInsertSql)),
      setPassword_(db_.prepare(
          "UPDATE accounts SET realm = ?2, ha1_md5 = ?3, ha1_sha256 = ?4, ha1_sha512_256 = ?5,"
          " password_changed_time = ?6, password_changed_ms = ?7 WHERE username = ?1")),
      setEnabled_(db_.prepare("UPDATE accounts SET enabled = ?2 WHERE username = ?1")),
      setLock_(db_.prepare(
          "UPDATE accounts SET locked_until_ms = ?2, lock_count = ?3 WHERE username = ?1")),
      unlock_(db_.prepare("UPDATE accounts SET locked_until_ms = NULL, lock_count = 0,"
                          " unlocked_ms = ?2 WHERE username = ?1")),
      remove_(db_.prepare("DELETE FROM accounts WHERE username = ?1")),
      selectAdmins_(db_.prepare(std::string(kAdminColumns) + " ORDER BY name")),
      findAdmin_(db_.prepare(std::string(kAdminColumns) + " WHERE name = ?1")),
      insertAdmin_(db_.prepare("INSERT INTO admin_users(name, totp_secret, last_totp_step,"
                               " created_time, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)")),
      advanceStep_(db_.prepare("UPDATE admin_users SET last_totp_step = ?2"
                               " WHERE name = ?1 AND last_totp_step < ?2")),
      sealAdmin_(db_.prepare("UPDATE admin_users SET totp_secret = ?2"
                             " WHERE name = ?1 AND totp_secret = ?3")),
      setAdminLogin_(db_.prepare("UPDATE admin_users SET failed_logins = ?2, first_failure_ms = ?3,"
                                 " locked_until_ms = ?4, lock_count = ?5 WHERE name = ?1")),
      setAdminPassword_(db_.prepare("UPDATE admin_users SET password_hash = ?2 WHERE name = ?1")),
      editsRead_(db_.prepare("SELECT edits FROM account_edits WHERE id = 1")),
      editsBump_(db_.prepare("UPDATE account_edits SET edits = edits + 1 WHERE id = 1")) {
  restrictMode(path);
}

AccountStore::~AccountStore() = default;

std::string AccountStore::note(std::string error) {
  if (!error.empty()) lastError_ = db_.path() + ": " + error;
  return error;
}

std::string AccountStore::runChange(Statement& s, bool* changed) {
  std::string error;
  if (s.step() == Statement::Step::kError) error = s.errorMessage();
  s.reset();
  if (changed != nullptr) *changed = error.empty() && db_.changes() > 0;
  return note(std::move(error));
}

std::vector<AccountRecord> AccountStore::list() {
  std::vector<AccountRecord> out;
  for (;;) {
    const Statement::Step step = selectAll_.step();
    if (step == Statement::Step::kRow) {
      out.push_back(readAccount(selectAll_));
      continue;
    }
    if (step == Statement::Step::kError) note("list accounts: " + selectAll_.errorMessage());
    break;
  }
  selectAll_.reset();
  return out;
}

std::optional<AccountRecord> AccountStore::find(const std::string& username) {
  find_.bind(1, username);
  std::optional<AccountRecord> out;
  if (find_.step() == Statement::Step::kRow) out = readAccount(find_);
  find_.reset();
  return out;
}

std::string AccountStore::add(const AccountRecord& a, bool* exists) {
  Statement& s = insert_;
  s.bind(1, a.username).bind(2, a.realm).bind(3, a.ha1Md5).bind(4, a.ha1Sha256);
  s.bind(5, a.ha1Sha512_256).bind(6, joinWords(a.allowedNetworks));
  s.bind(7, joinWords(a.allowedCallerIds)).bind(8, a.maxRegistrations).bind(9, a.enabled ? 1 : 0);
  s.bind(10, a.createdMs).bind(11, formatUtcMillis(fromEpochMillis(a.passwordChangedMs)));
  s.bind(12, a.passwordChangedMs);
  std::string error = runChange(s, nullptr);
  if (exists != nullptr) *exists = isUniqueViolation(error);
  return error;
}

std::string AccountStore::setPassword(const std::string& username, const std::string& realm,
                                      const std::string& ha1Md5, const std::string& ha1Sha256,
                                      const std::string& ha1Sha512_256, int64_t changedMs,
                                      bool* found) {
  Statement& s = setPassword_;
  s.bind(1, username).bind(2, realm).bind(3, ha1Md5).bind(4, ha1Sha256).bind(5, ha1Sha512_256);
  s.bind(6, formatUtcMillis(fromEpochMillis(changedMs))).bind(7, changedMs);
  return runChange(s, found);
}

std::string AccountStore::setEnabled(const std::string& username, bool enabled, bool* found) {
  setEnabled_.bind(1, username).bind(2, enabled ? 1 : 0);
  return runChange(setEnabled_, found);
}

std::string AccountStore::setLock(const std::string& username, int64_t lockedUntilMs,
                                  int lockCount) {
  setLock_.bind(1, username).bind(2, lockedUntilMs).bind(3, lockCount);
  return runChange(setLock_, nullptr);
}

std::string AccountStore::unlock(const std::string& username, int64_t nowMs, bool* found) {
  unlock_.bind(1, username).bind(2, nowMs);
  return runChange(unlock_, found);
}

std::string AccountStore::remove(const std::string& username, bool* found) {
  remove_.bind(1, username);
  return runChange(remove_, found);
}

std::vector<AdminRecord> AccountStore::readAdmins() {
  std::vector<AdminRecord> out;
  for (;;) {
    const Statement::Step step = selectAdmins_.step();
    if (step == Statement::Step::kRow) {
      out.push_back(readAdmin(selectAdmins_));
      continue;
    }
    if (step == Statement::Step::kError) note("list admins: " + selectAdmins_.errorMessage());
    break;
  }
  selectAdmins_.reset();
  return out;
}

std::vector<AdminRecord> AccountStore::listAdmins() {
  std::vector<AdminRecord> out = readAdmins();
  for (AdminRecord& a : out) openSecret(a);
  return out;
}

void AccountStore::setSealingKey(const base::SealingKey& key) { key_ = key; }

std::string AccountStore::secretContext(const std::string& name) { return "admin_users " + name; }

void AccountStore::openSecret(AdminRecord& admin) {
  if (!base::isSealed(admin.totpSecretHex)) return;
  std::string why = "no key to open it (database.key_file)";
  std::optional<std::string> plain;
  if (key_) plain = base::unseal(*key_, admin.totpSecretHex, secretContext(admin.name), &why);
  if (!plain) note("the TOTP secret of admin " + admin.name + ": " + why);
  admin.totpSecretHex = plain.value_or("");
}

int AccountStore::sealPlaintextAdminSecrets() {
  if (!key_) return 0;
  int sealed = 0;
  for (const AdminRecord& a : readAdmins()) {
    if (base::isSealed(a.totpSecretHex)) continue;
    const std::string value = base::seal(*key_, a.totpSecretHex, secretContext(a.name));
    if (value.empty()) {
      note("sealing the TOTP secret of admin " + a.name + ": OpenSSL failed");
      return -1;
    }
    // Only if unchanged since it was read: a concurrent `admin add` is never overwritten.
    sealAdmin_.bind(1, a.name).bind(2, value).bind(3, a.totpSecretHex);
    bool changed = false;
    if (!runChange(sealAdmin_, &changed).empty()) return -1;
    if (changed) ++sealed;
  }
  return sealed;
}

std::optional<AdminRecord> AccountStore::findAdmin(const std::string& name) {
  findAdmin_.bind(1, name);
  std::optional<AdminRecord> out;
  if (findAdmin_.step() == Statement::Step::kRow) out = readAdmin(findAdmin_);
  findAdmin_.reset();
  if (out) openSecret(*out);
  return out;
}

std::string AccountStore::addAdmin(const AdminRecord& admin, bool* exists) {
  Statement& s = insertAdmin_;
  const std::string secret = key_
                                 ? base::seal(*key_, admin.totpSecretHex, secretContext(admin.name))
                                 : admin.totpSecretHex;
  if (secret.empty() && !admin.totpSecretHex.empty()) return note("sealing failed (OpenSSL)");
  s.bind(1, admin.name).bind(2, secret).bind(3, admin.lastTotpStep);
  s.bind(4, formatUtcMillis(fromEpochMillis(admin.createdMs))).bind(5, admin.createdMs);
  std::string error = runChange(s, nullptr);
  if (exists != nullptr) *exists = isUniqueViolation(error);
  return error;
}

std::string AccountStore::advanceTotpStep(const std::string& name, int64_t step, bool* advanced) {
  advanceStep_.bind(1, name).bind(2, step);
  return runChange(advanceStep_, advanced);
}

std::string AccountStore::setAdminLogin(const std::string& name, const AdminLoginState& state) {
  setAdminLogin_.bind(1, name).bind(2, state.failures).bind(3, state.firstFailureMs);
  setAdminLogin_.bind(4, state.lockedUntilMs).bind(5, state.lockCount);
  return runChange(setAdminLogin_, nullptr);
}

std::string AccountStore::setAdminPassword(const std::string& name, const std::string& hash,
                                           bool* found) {
  setAdminPassword_.bind(1, name).bind(2, hash);
  return runChange(setAdminPassword_, found);
}

std::string AccountStore::noteEdited() {
  bool changed = false;
  std::string error = runChange(editsBump_, &changed);
  return error.empty() ? error : "account_edits: " + error;
}

bool AccountStore::changedSinceLastCheck() {
  int64_t edits = 0;
  if (editsRead_.step() == Statement::Step::kRow) {
    edits = editsRead_.columnInt64(0);
  } else {
    note("account_edits: " + editsRead_.errorMessage());
  }
  editsRead_.reset();
  const bool changed = lastEdits_ && *lastEdits_ != edits;
  lastEdits_ = edits;
  return changed;
}

}  // namespace tg::db
