#include "auth/totp.h"

#include <liboath/oath.h>
#include <qrencode.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "base/random.h"

namespace tg::auth {
namespace {

void initOath() {
  static std::once_flag once;
  std::call_once(once, [] { oath_init(); });
}

int oathFlags(TotpHash h) {
  switch (h) {
    case TotpHash::kSha256:
      return OATH_TOTP_HMAC_SHA256;
    case TotpHash::kSha512:
      return OATH_TOTP_HMAC_SHA512;
    case TotpHash::kSha1:
      break;
  }
  return 0;
}

std::string_view hashName(TotpHash h) {
  switch (h) {
    case TotpHash::kSha256:
      return "SHA256";
    case TotpHash::kSha512:
      return "SHA512";
    case TotpHash::kSha1:
      break;
  }
  return "SHA1";
}

std::optional<std::string> fromHex(std::string_view hex) {
  initOath();
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  const std::string text(hex);
  std::string bin(hex.size() / 2, '\0');
  size_t len = bin.size();
  if (oath_hex2bin(text.c_str(), bin.data(), &len) != OATH_OK) return std::nullopt;
  bin.resize(len);
  return bin;
}

// RFC 3986 unreserved characters pass; everything else is %XX.
std::string percentEncode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (std::isalnum(b) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kDigits[b >> 4];
      out += kDigits[b & 0xf];
    }
  }
  return out;
}

}  // namespace

std::string newTotpSecretHex() { return base::randomHex(20); }

std::string otpauthUri(std::string_view issuer, std::string_view account,
                       std::string_view secretHex, const TotpParams& params) {
  initOath();
  const auto secret = fromHex(secretHex);
  if (!secret) return {};
  char* b32 = nullptr;
  size_t b32len = 0;
  if (oath_base32_encode(secret->data(), secret->size(), &b32, &b32len) != OATH_OK) return {};
  std::string encoded(b32, b32len);
  std::free(b32);
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();  // apps expect no padding
  const std::string label = percentEncode(issuer) + ":" + percentEncode(account);
  return "otpauth://totp/" + label + "?secret=" + encoded + "&issuer=" + percentEncode(issuer) +
         "&algorithm=" + std::string(hashName(params.hash)) +
         "&digits=" + std::to_string(params.digits) +
         "&period=" + std::to_string(params.stepSeconds);
}

std::string totpCode(std::string_view secretHex, std::time_t now, const TotpParams& params) {
  const auto secret = fromHex(secretHex);
  if (!secret) return {};
  std::vector<char> out(params.digits + 1, '\0');
  if (oath_totp_generate2(secret->data(), secret->size(), now, params.stepSeconds, 0, params.digits,
                          oathFlags(params.hash), out.data()) != OATH_OK) {
    return {};
  }
  return std::string(out.data());
}

std::optional<int64_t> verifyTotp(std::string_view secretHex, std::time_t now,
                                  std::string_view code, int64_t lastUsedStep,
                                  const TotpParams& params) {
  if (code.size() != params.digits || !std::all_of(code.begin(), code.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    return std::nullopt;
  }
  const auto secret = fromHex(secretHex);
  if (!secret) return std::nullopt;
  const std::string otp(code);
  int position = 0;
  uint64_t counter = 0;
  const int rc = oath_totp_validate4(secret->data(), secret->size(), now, params.stepSeconds, 0, 1,
                                     &position, &counter, oathFlags(params.hash), otp.c_str());
  if (rc < 0) return std::nullopt;  // OATH_INVALID_OTP or another error
  const auto step = static_cast<int64_t>(counter);
  if (step <= lastUsedStep) return std::nullopt;  // reuse, or a code older than the last one
  return step;
}

std::string renderQr(std::string_view text, QrStyle style) {
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!qr) return {};
  constexpr int kQuiet = 2;
  const int width = qr->width;
  const int size = width + 2 * kQuiet;
  // Dark module: bit 0 of each byte. Outside the symbol is the (light) quiet zone.
  auto dark = [&](int x, int y) {
    x -= kQuiet;
    y -= kQuiet;
    if (x < 0 || y < 0 || x >= width || y >= width) return false;
    return (qr->data[y * width + x] & 1) != 0;
  };
  std::string out;
  if (style == QrStyle::kAscii) {
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) out += dark(x, y) ? "  " : "##";
      out += '\n';
    }
    return out;
  }
  for (int y = 0; y < size; y += 2) {
    for (int x = 0; x < size; ++x) {
      const bool top = !dark(x, y);  // light modules are drawn
      const bool bottom = y + 1 < size ? !dark(x, y + 1) : false;
      if (top && bottom) {
        out += "\u2588";  // full block
      } else if (top) {
        out += "\u2580";  // upper half
      } else if (bottom) {
        out += "\u2584";  // lower half
      } else {
        out += ' ';
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace tg::auth
