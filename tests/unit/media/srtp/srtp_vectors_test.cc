// SRTP output checked against the RFCs. libsrtp is the only SRTP implementation trunkguard runs;
// these tests recompute its packets from first principles with OpenSSL's AES and HMAC (the
// "reference" below), and check the reference itself on the RFCs' published values:
// RFC 3711 Appendix B.3 (key derivation) and RFC 7714 §16.1.1 (AEAD_AES_128_GCM on RTP).

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <vector>

#include "media/srtp/srtp_session.h"
#include "srtp_test_util.h"

namespace tg::media::srtp {
namespace {

using test::fromHex;
using Bytes = std::vector<uint8_t>;

// --- the reference ---------------------------------------------------------------------------

const EVP_CIPHER* ctrCipher(size_t keyLength) {
  return keyLength == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
}

Bytes aesCtr(const Bytes& key, const Bytes& iv, const Bytes& data) {
  Bytes out(data.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, ctrCipher(key.size()), nullptr, key.data(), iv.data()), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data(), &n, data.data(), static_cast<int>(data.size())), 1);
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

// RFC 7714 §8: ciphertext || 16-byte tag.
Bytes aesGcm(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& plain) {
  Bytes out(plain.size() + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  const EVP_CIPHER* cipher = key.size() == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, cipher, nullptr, nullptr, nullptr), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr),
            1);
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, nullptr, nullptr, key.data(), iv.data()), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data(), &n, plain.data(), static_cast<int>(plain.size())),
            1);
  EXPECT_EQ(EVP_EncryptFinal_ex(ctx, out.data() + n, &n), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()), 1);
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

// RFC 3711 §4.3.1 at the initial derivation (index DIV kdr = 0): AES-CM keyed by the master key,
// IV = ((label << 48) XOR master salt) * 2^16. A 12-byte (GCM) master salt is padded with two
// zero octets to the KDF's 112 bits.
Bytes derive(const Bytes& masterKey, const Bytes& masterSalt, uint8_t label, size_t length) {
  Bytes iv(16, 0);
  std::copy(masterSalt.begin(), masterSalt.end(), iv.begin());
  iv[7] ^= label;
  return aesCtr(masterKey, iv, Bytes(length, 0));
}

struct SessionKeys {
  Bytes cipherKey, cipherSalt, authKey;
};

SessionKeys deriveRtpKeys(const Bytes& masterKey, const Bytes& masterSalt, size_t saltLength) {
  return {derive(masterKey, masterSalt, 0x00, masterKey.size()),
          derive(masterKey, masterSalt, 0x02, saltLength), derive(masterKey, masterSalt, 0x01, 20)};
}

constexpr uint32_t kRoc = 0;

// RFC 3711 §4.1.1 and §4.2: AES-CM over the payload, HMAC-SHA1 over the authenticated portion
// and the rollover counter, truncated to `tagLength`.
Bytes referenceAesCmPacket(const SessionKeys& keys, const Bytes& rtp, size_t tagLength) {
  const Bytes header(rtp.begin(), rtp.begin() + 12);
  const Bytes payload(rtp.begin() + 12, rtp.end());
  Bytes iv(16, 0);
  std::copy(keys.cipherSalt.begin(), keys.cipherSalt.end(), iv.begin());
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= rtp[8 + i];  // SSRC
  const uint64_t index = (uint64_t{kRoc} << 16) | (uint64_t{rtp[2]} << 8) | rtp[3];
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
  Bytes packet = header;
  const Bytes encrypted = aesCtr(keys.cipherKey, iv, payload);
  packet.insert(packet.end(), encrypted.begin(), encrypted.end());
  Bytes authenticated = packet;
  for (int i = 0; i < 4; ++i) authenticated.push_back(static_cast<uint8_t>(kRoc >> (24 - 8 * i)));
  uint8_t mac[20];
  unsigned macLength = 0;
  HMAC(EVP_sha1(), keys.authKey.data(), static_cast<int>(keys.authKey.size()), authenticated.data(),
       authenticated.size(), mac, &macLength);
  packet.insert(packet.end(), mac, mac + tagLength);
  return packet;
}

// RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt; the header is the AAD.
Bytes referenceGcmPacket(const Bytes& key, const Bytes& salt, const Bytes& rtp) {
  Bytes iv(12, 0);
  for (int i = 0; i < 4; ++i) iv[2 + i] = rtp[8 + i];
  for (int i = 0; i < 4; ++i) iv[6 + i] = static_cast<uint8_t>(kRoc >> (24 - 8 * i));
  iv[10] = rtp[2];
  iv[11] = rtp[3];
  for (size_t i = 0; i < 12; ++i) iv[i] ^= salt[i];
  const Bytes header(rtp.begin(), rtp.begin() + 12);
  const Bytes payload(rtp.begin() + 12, rtp.end());
  Bytes packet = header;
  const Bytes sealed = aesGcm(key, iv, header, payload);
  packet.insert(packet.end(), sealed.begin(), sealed.end());
  return packet;
}

Bytes protectWithTrunkguard(CryptoSuite suite, const Bytes& masterKey, const Bytes& masterSalt,
                            const Bytes& rtp) {
  Bytes keySalt = masterKey;
  keySalt.insert(keySalt.end(), masterSalt.begin(), masterSalt.end());
  CryptoAttribute attribute;
  attribute.suite = suite;
  attribute.key = *MasterKey::fromBytes(keySalt);
  auto sender = SrtpSender::create(attribute);
  EXPECT_TRUE(sender.ok()) << sender.error();
  Bytes buffer = rtp;
  buffer.resize(rtp.size() + kMaxProtectOverhead);
  size_t length = rtp.size();
  EXPECT_EQ(sender->protectRtp(buffer, length), SrtpStatus::kOk);
  buffer.resize(length);
  return buffer;
}

// --- RFC 3711 Appendix B.3 -------------------------------------------------------------------

const Bytes kRfc3711MasterKey = fromHex("E1F97A0D3E018BE0D64FA32C06DE4139");
const Bytes kRfc3711MasterSalt = fromHex("0EC675AD498AFEEBB6960B3AABE6");
const SessionKeys kRfc3711SessionKeys = {fromHex("C61E7A93744F39EE10734AFE3FF7A087"),
                                         fromHex("30CBBC08863D8C85D49DB34A9AE1"),
                                         // The first 160 bits of the auth key: HMAC-SHA1's key.
                                         fromHex("CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA4")};

TEST(SrtpVectors, ReferenceKdfMatchesRfc3711AppendixB3) {
  const SessionKeys derived = deriveRtpKeys(kRfc3711MasterKey, kRfc3711MasterSalt, 14);
  EXPECT_EQ(derived.cipherKey, kRfc3711SessionKeys.cipherKey);
  EXPECT_EQ(derived.cipherSalt, kRfc3711SessionKeys.cipherSalt);
  EXPECT_EQ(derived.authKey, kRfc3711SessionKeys.authKey);
  // The auth key's last AES block, as printed in B.3.
  const Bytes fullAuthKey = derive(kRfc3711MasterKey, kRfc3711MasterSalt, 0x01, 94);
  EXPECT_EQ(Bytes(fullAuthKey.begin() + 80, fullAuthKey.end()),
            fromHex("6B68642C59BBFC2F34DB60DBDFB2"));
}

TEST(SrtpVectors, AesCm128PacketsUseRfc3711SessionKeys) {
  const Bytes rtp = test::rtpPacket(0x1234, 0xCAFEBABE);
  EXPECT_EQ(protectWithTrunkguard(CryptoSuite::kAesCm128HmacSha1_80, kRfc3711MasterKey,
                                  kRfc3711MasterSalt, rtp),
            referenceAesCmPacket(kRfc3711SessionKeys, rtp, 10));
  EXPECT_EQ(protectWithTrunkguard(CryptoSuite::kAesCm128HmacSha1_32, kRfc3711MasterKey,
                                  kRfc3711MasterSalt, rtp),
            referenceAesCmPacket(kRfc3711SessionKeys, rtp, 4));
}

TEST(SrtpVectors, AesCm256MatchesTheReference) {
  const Bytes masterKey = fromHex(
      "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
      "000102030405060708090a0b0c0d0e0f");
  const Bytes masterSalt = fromHex("a0a1a2a3a4a5a6a7a8a9aaabacad");
  const Bytes rtp = test::rtpPacket(0xfffe, 0x01020304);
  EXPECT_EQ(protectWithTrunkguard(CryptoSuite::kAesCm256HmacSha1_80, masterKey, masterSalt, rtp),
            referenceAesCmPacket(deriveRtpKeys(masterKey, masterSalt, 14), rtp, 10));
}

// --- RFC 7714 §16.1.1 ------------------------------------------------------------------------

TEST(SrtpVectors, ReferenceGcmMatchesRfc7714Section16) {
  const Bytes key = fromHex("000102030405060708090a0b0c0d0e0f");
  const Bytes salt = fromHex("517569642070726f2071756f");  // "Quid pro quo"
  const Bytes rtp = fromHex(
      "8040f17b 8041f8d3 5501a0b2"
      "47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573");
  const Bytes expected = fromHex(
      "8040f17b 8041f8d3 5501a0b2"
      "f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833"
      "899d7f27 beb16a91 52cf765e e4390cce");
  EXPECT_EQ(referenceGcmPacket(key, salt, rtp), expected);
}

TEST(SrtpVectors, AeadGcmMatchesTheReference) {
  const Bytes rtp = test::rtpPacket(0xf17b, 0x5501a0b2);
  const Bytes salt = fromHex("517569642070726f2071756f");
  for (const Bytes& masterKey :
       {fromHex("000102030405060708090a0b0c0d0e0f"),
        fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")}) {
    const CryptoSuite suite =
        masterKey.size() == 32 ? CryptoSuite::kAeadAes256Gcm : CryptoSuite::kAeadAes128Gcm;
    const SessionKeys keys = deriveRtpKeys(masterKey, salt, 12);
    EXPECT_EQ(protectWithTrunkguard(suite, masterKey, salt, rtp),
              referenceGcmPacket(keys.cipherKey, keys.cipherSalt, rtp))
        << cryptoSuiteName(suite);
  }
}

}  // namespace
}  // namespace tg::media::srtp
