#pragma once

// TOTP (RFC 6238) for admin users, through liboath: secrets, otpauth:// enrolment URIs, a QR
// code for the terminal (libqrencode), and verification with a one-step window that refuses a
// code whose time step was already used (the caller stores the last used step).

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace tg::auth {

enum class TotpHash : uint8_t { kSha1, kSha256, kSha512 };

struct TotpParams {
  TotpHash hash = TotpHash::kSha1;  // what authenticator apps support everywhere
  unsigned digits = 6;
  unsigned stepSeconds = 30;
};

// 20 random bytes (RFC 4226's recommended 160 bits) as lowercase hex.
std::string newTotpSecretHex();

// otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
std::string otpauthUri(std::string_view issuer, std::string_view account,
                       std::string_view secretHex, const TotpParams& params = {});

// The code for time `now`; "" when the secret is not valid hex.
std::string totpCode(std::string_view secretHex, std::time_t now, const TotpParams& params = {});

// The time step of `code` if it matches the step of `now` or the one before or after, and that
// step is later than lastUsedStep; nullopt otherwise (wrong, too old, or already used).
std::optional<int64_t> verifyTotp(std::string_view secretHex, std::time_t now,
                                  std::string_view code, int64_t lastUsedStep,
                                  const TotpParams& params = {});

enum class QrStyle : uint8_t {
  kHalfBlocks,  // Unicode upper/lower half blocks: two modules per character cell
  kAscii,       // "##" and "  ": for terminals without Unicode
};

// `text` as a QR code for a dark-background terminal (light modules drawn), with the quiet
// zone; "" if libqrencode fails.
std::string renderQr(std::string_view text, QrStyle style = QrStyle::kHalfBlocks);

}  // namespace tg::auth
