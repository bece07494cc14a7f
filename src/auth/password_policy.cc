#include "auth/password_policy.h"

#include <pwquality.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>

namespace tg::auth {
namespace {

constexpr std::array<std::string_view, 48> kCommon = {
    "1234",   "12345",  "123456",    "1234567",  "12345678",  "123456789",   "1234567890",
    "0000",   "00000",  "000000",    "00000000", "1111",      "111111",      "11111111",
    "2222",   "4321",   "54321",     "654321",   "9999",      "123123",      "112233",
    "121212", "7777",   "666666",    "password", "password1", "password123", "passw0rd",
    "pass",   "secret", "secret123", "sip",      "sip123",    "voip",        "voip123",
    "phone",  "admin",  "admin123",  "asterisk", "freepbx",   "changeme",    "default",
    "qwerty", "abc123", "letmein",   "test",     "test123",   "welcome",
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The digits of a username such as "201" or "ext201": the extension number.
std::string extensionOf(std::string_view username) {
  std::string digits;
  for (const char c : username) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) digits += c;
  }
  return digits;
}

struct SettingsDeleter {
  void operator()(pwquality_settings_t* p) const { pwquality_free_settings(p); }
};
using Settings = std::unique_ptr<pwquality_settings_t, SettingsDeleter>;

// Built per call: a pwquality_settings_t is not safe to share, and this is not a hot path.
// /etc/security/pwquality.conf is deliberately not read: the config file is the authority.
Settings makeSettings(const config::PasswordPolicySettings& s) {
  Settings p(pwquality_default_settings());
  if (!p) return p;
  pwquality_set_int_value(p.get(), PWQ_SETTING_MIN_LENGTH, s.minLength);
  pwquality_set_int_value(p.get(), PWQ_SETTING_MIN_CLASS, s.minClasses);
  pwquality_set_int_value(p.get(), PWQ_SETTING_DICT_CHECK, s.dictionaryCheck ? 1 : 0);
  // Length credits would let a short password with digits count as long.
  for (int credit : {PWQ_SETTING_DIG_CREDIT, PWQ_SETTING_UP_CREDIT, PWQ_SETTING_LOW_CREDIT,
                     PWQ_SETTING_OTH_CREDIT}) {
    pwquality_set_int_value(p.get(), credit, 0);
  }
  pwquality_set_int_value(p.get(), PWQ_SETTING_MAX_SEQUENCE, 4);
  pwquality_set_int_value(p.get(), PWQ_SETTING_MAX_REPEAT, 3);
  return p;
}

std::string pwqualityMessage(int rc, void* aux) {
  char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
  const char* text = pwquality_strerror(buf, sizeof buf, rc, aux);
  std::string out = text != nullptr ? text : "rejected by libpwquality";
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace

std::span<const std::string_view> commonSipPasswords() { return kCommon; }

PasswordPolicy::PasswordPolicy(config::PasswordPolicySettings settings)
    : settings_(std::move(settings)) {}

std::string PasswordPolicy::check(std::string_view password, std::string_view username) const {
  if (password.empty()) return "the password is empty";
  if (std::any_of(password.begin(), password.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7f;
      })) {
    return "the password contains control characters (phones cannot type them)";
  }
  const std::string pw = lower(password);
  const std::string user = lower(username);
  const std::string extension = extensionOf(username);
  if (std::find(kCommon.begin(), kCommon.end(), pw) != kCommon.end()) {
    return "'" + std::string(password) +
           "' is one of the first passwords SIP scanners try; choose another";
  }
  if (!user.empty() && pw == user) return "the password is the username itself";
  if (!extension.empty() && pw == extension) return "the password is the extension number";
  if (extension.size() >= 2 && pw.find(extension) != std::string::npos) {
    return "the password contains the extension number " + extension;
  }
  if (user.size() >= 3 && pw.find(user) != std::string::npos) {
    return "the password contains the username '" + std::string(username) + "'";
  }
  std::string reversed(user.rbegin(), user.rend());
  if (user.size() >= 3 && pw.find(reversed) != std::string::npos) {
    return "the password contains the username reversed";
  }
  if (static_cast<int>(password.size()) < settings_.minLength) {
    return "the password has " + std::to_string(password.size()) + " characters; at least " +
           std::to_string(settings_.minLength) + " are required";
  }
  Settings s = makeSettings(settings_);
  if (!s) return "libpwquality could not be initialised";
  void* aux = nullptr;
  const std::string pwCopy(password);
  const int rc = pwquality_check(s.get(), pwCopy.c_str(), nullptr, nullptr, &aux);
  if (rc < 0) return pwqualityMessage(rc, aux);
  return {};
}

std::optional<std::string> PasswordPolicy::generate(std::string_view username,
                                                    std::string* error) const {
  Settings s = makeSettings(settings_);
  if (!s) {
    if (error != nullptr) *error = "libpwquality could not be initialised";
    return std::nullopt;
  }
  for (int attempt = 0; attempt < 16; ++attempt) {
    char* raw = nullptr;
    const int rc = pwquality_generate(s.get(), 128, &raw);
    if (rc != 0 || raw == nullptr) {
      if (error != nullptr) *error = pwqualityMessage(rc, nullptr);
      return std::nullopt;
    }
    std::string password(raw);
    std::fill(raw, raw + password.size(), '\0');
    std::free(raw);
    if (check(password, username).empty()) return password;
  }
  if (error != nullptr) *error = "no generated password passed the policy";
  return std::nullopt;
}

PasswordAge PasswordPolicy::age(base::SystemTime changed, base::SystemTime now) const {
  PasswordAge out;
  if (settings_.maxAgeDays <= 0) return out;
  const auto expires = changed + std::chrono::hours(24) * settings_.maxAgeDays;
  if (now >= expires) {
    out.status = PasswordAge::Status::kExpired;
    return out;
  }
  out.daysLeft =
      static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(expires - now).count() / 24);
  if (out.daysLeft < settings_.warnDays) out.status = PasswordAge::Status::kWarn;
  return out;
}

bool PasswordPolicy::refuses(base::SystemTime changed, base::SystemTime now) const {
  return settings_.refuseExpired && age(changed, now).status == PasswordAge::Status::kExpired;
}

}  // namespace tg::auth
