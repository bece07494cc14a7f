#pragma once

// Remote-phone accounts and admin users, in the `accounts` and `admin_users` tables
// (migration 5). Passwords are never stored: only HA1 = H(username:realm:password) for each
// digest algorithm (MD5, SHA-256, SHA-512-256), computed when the password is set.
//
// Admin TOTP secrets are sealed (base/sealed_secret.h, AES-256-GCM) once a key is set: the
// gateway sets it at start and seals secrets left in the clear by older versions (or by a CLI
// run before the key existed); the CLI sets it when the key file is there. The database file
// (and its -wal/-shm) is also kept 0600 by the constructor.
//
// Threads: like BanStore, every method is synchronous SQLite I/O. The gateway reads accounts on
// its housekeeping thread into auth::AccountDirectory (which workers read); the CLI edits the
// table and bumps account_edits, which changedSinceLastCheck() notices.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/sealed_secret.h"
#include "db/database.h"

namespace tg::db {

struct AccountRecord {
  std::string username;
  std::string realm;
  std::string ha1Md5;
  std::string ha1Sha256;
  std::string ha1Sha512_256;
  std::vector<std::string> allowedNetworks;   // CIDRs; empty: any source
  std::vector<std::string> allowedCallerIds;  // empty: the username only
  int maxRegistrations = 1;
  bool enabled = true;
  int64_t createdMs = 0;
  int64_t passwordChangedMs = 0;
  std::optional<int64_t> lockedUntilMs;  // account-wide lock
  int lockCount = 0;
  int64_t unlockedMs = 0;  // the last `account unlock`
};

// An admin's failed codes and lock (migration 7), kept across CLI runs.
struct AdminLoginState {
  int failures = 0;  // within the lockout window that began at firstFailureMs
  int64_t firstFailureMs = 0;
  int64_t lockedUntilMs = 0;  // 0: not locked
  int lockCount = 0;          // locks so far (escalation)
};

struct AdminRecord {
  std::string name;
  std::string totpSecretHex;
  int64_t lastTotpStep = 0;
  int64_t createdMs = 0;
  AdminLoginState login;
  // The admin API password (auth/password_hash.h); "" until `admin passwd` sets one.
  std::string passwordHash;
};

class AccountStore {
 public:
  // Opens (creating and migrating) the database; throws std::runtime_error: start-up only.
  explicit AccountStore(const std::string& path);
  ~AccountStore();
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  // Sorted by username. On a read error returns what it read and sets lastError().
  std::vector<AccountRecord> list();
  std::optional<AccountRecord> find(const std::string& username);

  // Each returns "" or SQLite's message (also in lastError()).
  // Inserts; fails when the username exists (*exists set).
  std::string add(const AccountRecord& account, bool* exists = nullptr);
  // Replaces the HA1s and password_changed_ms; *found says whether the account exists.
  std::string setPassword(const std::string& username, const std::string& realm,
                          const std::string& ha1Md5, const std::string& ha1Sha256,
                          const std::string& ha1Sha512_256, int64_t changedMs,
                          bool* found = nullptr);
  std::string setEnabled(const std::string& username, bool enabled, bool* found = nullptr);
  // Persists an account-wide lock (the gateway, so that a restart keeps it).
  std::string setLock(const std::string& username, int64_t lockedUntilMs, int lockCount);
  // Clears the lock and its escalation and records unlocked_ms = nowMs.
  std::string unlock(const std::string& username, int64_t nowMs, bool* found = nullptr);
  std::string remove(const std::string& username, bool* found = nullptr);

  // With a key, admin secrets are written sealed and read opened; a sealed secret that does not
  // open (no key, another key) reads as "" (that admin's codes fail) and sets lastError().
  void setSealingKey(const base::SealingKey& key);
  // Seals every admin secret still stored in the clear; returns how many, or -1 (lastError()).
  // Without a key, does nothing.
  int sealPlaintextAdminSecrets();

  std::vector<AdminRecord> listAdmins();
  std::optional<AdminRecord> findAdmin(const std::string& name);
  std::string addAdmin(const AdminRecord& admin, bool* exists = nullptr);
  // Stores `step` as the last used one only when it is greater than the stored one (atomic,
  // so two concurrent verifications cannot both use one code); *advanced says whether it was.
  std::string advanceTotpStep(const std::string& name, int64_t step, bool* advanced);
  std::string setAdminLogin(const std::string& name, const AdminLoginState& state);
  // Stores a password hash (auth::hashAdminPassword); *found says whether the admin exists.
  std::string setAdminPassword(const std::string& name, const std::string& hash,
                               bool* found = nullptr);

  // Records that the accounts changed (the CLI after each edit); bumps account_edits.
  std::string noteEdited();
  // Whether account_edits moved since the previous call; the first call takes the baseline.
  bool changedSinceLastCheck();

  std::string lastError() const { return lastError_; }

 private:
  std::string note(std::string error);
  std::string runChange(Statement& s, bool* changed);
  std::vector<AdminRecord> readAdmins();  // as stored (sealed or not)
  void openSecret(AdminRecord& admin);
  static std::string secretContext(const std::string& name);

  Database db_;
  Statement selectAll_;
  Statement find_;
  Statement insert_;
  Statement setPassword_;
  Statement setEnabled_;
  Statement setLock_;
  Statement unlock_;
  Statement remove_;
  Statement selectAdmins_;
  Statement findAdmin_;
  Statement insertAdmin_;
  Statement advanceStep_;
  Statement sealAdmin_;
  Statement setAdminLogin_;
  Statement setAdminPassword_;
  Statement editsRead_;
  Statement editsBump_;
  std::optional<int64_t> lastEdits_;
  std::optional<base::SealingKey> key_;
  std::string lastError_;
};

// "a b c" <-> {"a", "b", "c"}: how the list columns are stored.
std::string joinWords(const std::vector<std::string>& words);
std::vector<std::string> splitWords(const std::string& text);

}  // namespace tg::db
