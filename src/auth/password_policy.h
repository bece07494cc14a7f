#pragma once

// Password rules for accounts, enforced on every set or change: libpwquality (length, character
// classes, the cracklib dictionary) plus what libpwquality does not know about SIP: the
// password must not contain the username or extension number, nor be one of the passwords SIP
// scanners try first (1234, 0000, the extension itself, ...; kCommonSipPasswords). Each refusal
// says what is wrong. Also: the maximum age, with a warning period.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "config/accounts_config.h"

namespace tg::auth {

// The shipped list: what svcrack's default dictionary and the fail2ban logs of exposed PBXs
// show being tried first. Compared case-insensitively.
std::span<const std::string_view> commonSipPasswords();

struct PasswordAge {
  enum class Status : uint8_t { kOk, kWarn, kExpired };
  Status status = Status::kOk;
  int daysLeft = 0;  // kWarn: whole days until expiry (0: expires within a day)
};

class PasswordPolicy {
 public:
  explicit PasswordPolicy(config::PasswordPolicySettings settings);

  // "" when acceptable; otherwise why not, e.g. "it contains the username '201'".
  std::string check(std::string_view password, std::string_view username) const;

  // A strong random password that passes check() for `username` (libpwquality's generator,
  // 128 bits). nullopt with *error if the generator fails.
  std::optional<std::string> generate(std::string_view username, std::string* error) const;

  PasswordAge age(base::SystemTime changed, base::SystemTime now) const;
  // Whether registration must be refused: refuse_expired and the password is past max age.
  bool refuses(base::SystemTime changed, base::SystemTime now) const;

  const config::PasswordPolicySettings& settings() const { return settings_; }

 private:
  config::PasswordPolicySettings settings_;
};

}  // namespace tg::auth
