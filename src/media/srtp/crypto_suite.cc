#include "media/srtp/crypto_suite.h"

namespace tg::media::srtp {

namespace {

constexpr std::array<CryptoSuiteInfo, 5> kSuites = {{
    {CryptoSuite::kAesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10},
    {CryptoSuite::kAesCm128HmacSha1_32, "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10},
    {CryptoSuite::kAesCm256HmacSha1_80, "AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10},
    {CryptoSuite::kAeadAes128Gcm, "AEAD_AES_128_GCM", 16, 12, 16, 16},
    {CryptoSuite::kAeadAes256Gcm, "AEAD_AES_256_GCM", 32, 12, 16, 16},
}};

}  // namespace

std::span<const CryptoSuiteInfo> allCryptoSuites() { return kSuites; }

const CryptoSuiteInfo& cryptoSuiteInfo(CryptoSuite suite) {
  return kSuites[static_cast<size_t>(suite)];
}

std::string_view cryptoSuiteName(CryptoSuite suite) { return cryptoSuiteInfo(suite).name; }

std::optional<CryptoSuite> cryptoSuiteFromName(std::string_view name) {
  for (const auto& info : kSuites) {
    if (info.name == name) return info.suite;
  }
  return std::nullopt;
}

}  // namespace tg::media::srtp
