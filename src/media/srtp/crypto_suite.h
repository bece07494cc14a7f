#pragma once

// The SRTP crypto suites trunkguard signals with SDES (RFC 4568 §6.2, RFC 6188, RFC 7714) and
// what each needs: master key and salt sizes, and the authentication tag it appends.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tg::media::srtp {

enum class CryptoSuite : uint8_t {
  kAesCm128HmacSha1_80,  // RFC 4568; the suite every SDES peer supports
  kAesCm128HmacSha1_32,  // RFC 4568; 32-bit tag on SRTP, 80-bit on SRTCP
  kAesCm256HmacSha1_80,  // RFC 6188
  kAeadAes128Gcm,        // RFC 7714
  kAeadAes256Gcm,        // RFC 7714
};

struct CryptoSuiteInfo {
  CryptoSuite suite;
  std::string_view name;  // as written in a=crypto
  size_t keyLength;       // master key, bytes
  size_t saltLength;      // master salt, bytes
  size_t rtpTagLength;    // bytes appended to each SRTP packet
  size_t rtcpTagLength;   // bytes of tag on each SRTCP packet (after the 4-byte SRTCP index)

  size_t keySaltLength() const { return keyLength + saltLength; }
};

// Every supported suite, in the order of the enum.
std::span<const CryptoSuiteInfo> allCryptoSuites();
const CryptoSuiteInfo& cryptoSuiteInfo(CryptoSuite suite);
std::string_view cryptoSuiteName(CryptoSuite suite);
// Suite names compare exactly (RFC 4568's names are case-sensitive tokens).
std::optional<CryptoSuite> cryptoSuiteFromName(std::string_view name);

// The longest master key || salt of any suite (AES_256_CM: 32 + 14).
inline constexpr size_t kMaxKeySaltLength = 46;
// The most a protect call appends: a 16-byte GCM tag, plus the 4-byte SRTCP index for RTCP.
inline constexpr size_t kMaxProtectOverhead = 16 + 4;

}  // namespace tg::media::srtp
