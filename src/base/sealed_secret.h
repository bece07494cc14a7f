#pragma once

// Secrets at rest (TOTP secrets, provider passwords) sealed with AES-256-GCM under a key file
// that only the service user can read. A sealed value is text, so it fits a YAML scalar or a
// SQLite TEXT column:
//
//   sealed:v1:<hex of 12-byte nonce | ciphertext | 16-byte tag>
//
// The nonce is random per seal (2^-96 collision odds per pair; far below any rate we seal at).
// `context` is authenticated but not stored: a value sealed for one place (e.g. "admin_users
// alice") does not open in another, so rows cannot be swapped.
//
// The key file holds 64 hex characters (32 bytes) and a newline; it must be a regular file with
// no group or other permissions, else it is refused (a key anyone can read protects nothing).

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tg::base {

class SealingKey {
 public:
  static constexpr size_t kBytes = 32;

  // Reads the key file; nullopt with *error (path and why) when it is missing, unreadable,
  // malformed, not a regular file, or readable by group or others.
  static std::optional<SealingKey> load(const std::string& path, std::string* error);
  // load(), or when the file does not exist, a new random key written with mode 0600 (the
  // directory must exist). *created says which.
  static std::optional<SealingKey> loadOrCreate(const std::string& path, bool* created,
                                                std::string* error);
  static SealingKey fromBytes(const std::array<unsigned char, kBytes>& bytes);

  ~SealingKey();  // wipes the bytes
  SealingKey(const SealingKey&) = default;
  SealingKey& operator=(const SealingKey&) = default;

  const std::array<unsigned char, kBytes>& bytes() const { return bytes_; }

 private:
  SealingKey() = default;
  std::array<unsigned char, kBytes> bytes_{};
};

inline constexpr std::string_view kSealedPrefix = "sealed:v1:";

bool isSealed(std::string_view value);

// "" only if OpenSSL fails (never for valid input).
std::string seal(const SealingKey& key, std::string_view plaintext, std::string_view context);

// The plaintext; nullopt with *error when the value is not sealed, is malformed, or does not
// authenticate (tampered, another key, or another context).
std::optional<std::string> unseal(const SealingKey& key, std::string_view sealed,
                                  std::string_view context, std::string* error);

// Why the file at `path` is not private enough, or "" when it is fine: `allowGroup` false
// refuses any group or other permission (key files), true only other (world) permissions
// (secret files shared with a group, e.g. root:trunkguard 0640).
std::string filePermissionProblem(const std::string& path, bool allowGroup);

}  // namespace tg::base
