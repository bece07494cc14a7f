#include "media/srtp/master_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

namespace tg::media::srtp {

MasterKey::~MasterKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

MasterKey::MasterKey(const MasterKey& other) : bytes_(other.bytes_), size_(other.size_) {}

MasterKey& MasterKey::operator=(const MasterKey& other) {
  if (this != &other) {
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
    bytes_ = other.bytes_;
    size_ = other.size_;
  }
  return *this;
}

std::optional<MasterKey> MasterKey::generate(CryptoSuite suite) {
  MasterKey key;
  key.size_ = cryptoSuiteInfo(suite).keySaltLength();
  if (RAND_bytes(key.bytes_.data(), static_cast<int>(key.size_)) != 1) return std::nullopt;
  return key;
}

std::optional<MasterKey> MasterKey::fromBytes(std::span<const uint8_t> keySalt) {
  if (keySalt.size() > kMaxKeySaltLength) return std::nullopt;
  MasterKey key;
  std::copy(keySalt.begin(), keySalt.end(), key.bytes_.begin());
  key.size_ = keySalt.size();
  return key;
}

std::optional<MasterKey> MasterKey::fromBase64(std::string_view text) {
  // EVP_DecodeBlock wants whole 4-character groups and counts padding as zero bytes.
  constexpr size_t kMaxText = (kMaxKeySaltLength + 2) / 3 * 4;
  if (text.empty() || text.size() > kMaxText || text.size() % 4 == 1) return std::nullopt;
  std::array<char, kMaxText + 1> padded{};
  std::copy(text.begin(), text.end(), padded.begin());
  size_t length = text.size();
  while (length % 4 != 0) padded[length++] = '=';
  const size_t padding = (padded[length - 1] == '=') + (padded[length - 2] == '=');
  for (size_t i = 0; i < length - padding; ++i) {
    if (padded[i] == '=') return std::nullopt;  // '=' only at the end
  }
  std::array<uint8_t, kMaxText / 4 * 3> decoded{};
  const int n = EVP_DecodeBlock(decoded.data(), reinterpret_cast<const uint8_t*>(padded.data()),
                                static_cast<int>(length));
  std::optional<MasterKey> key;
  if (n >= 0 && static_cast<size_t>(n) >= padding) {
    key = fromBytes(std::span<const uint8_t>(decoded.data(), static_cast<size_t>(n) - padding));
  }
  OPENSSL_cleanse(decoded.data(), decoded.size());
  OPENSSL_cleanse(padded.data(), padded.size());
  return key;
}

std::string MasterKey::toBase64() const {
  std::string out((size_ + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()), bytes_.data(),
                                static_cast<int>(size_));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool MasterKey::operator==(const MasterKey& other) const {
  return size_ == other.size_ && CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), size_) == 0;
}

}  // namespace tg::media::srtp
