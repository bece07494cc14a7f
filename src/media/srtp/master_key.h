#pragma once

// An SRTP master key || master salt. Keys never reach a log: the bytes are wiped when the key is
// destroyed, there is no stream operator, and fmt prints a key (and anything holding one) as
// "<redacted N bytes>". Only toBase64() writes the secret, for the a=crypto line itself.

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "media/srtp/crypto_suite.h"

namespace tg::media::srtp {

class MasterKey {
 public:
  MasterKey() = default;
  ~MasterKey();
  MasterKey(const MasterKey& other);
  MasterKey& operator=(const MasterKey& other);

  // Fresh key and salt for `suite` from OpenSSL's CSPRNG; nullopt only if RAND_bytes fails.
  static std::optional<MasterKey> generate(CryptoSuite suite);
  // The bytes as given; nullopt when longer than any suite's key || salt.
  static std::optional<MasterKey> fromBytes(std::span<const uint8_t> keySalt);
  // RFC 4648 base64 (padding optional); nullopt when malformed or too long.
  static std::optional<MasterKey> fromBase64(std::string_view text);

  std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }
  size_t size() const { return size_; }
  // Padded base64, as written after "inline:".
  std::string toBase64() const;

  // Constant-time comparison: keys are compared when a re-offer is checked for a new key.
  bool operator==(const MasterKey& other) const;

 private:
  std::array<uint8_t, kMaxKeySaltLength> bytes_{};
  size_t size_ = 0;
};

}  // namespace tg::media::srtp

template <>
struct fmt::formatter<tg::media::srtp::MasterKey> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const tg::media::srtp::MasterKey& key, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "<redacted {} bytes>", key.size());
  }
};
