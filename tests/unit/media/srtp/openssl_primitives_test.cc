// The OpenSSL primitives handed to libsrtp, through libsrtp's own cipher and auth interfaces,
// against published vectors; srtp_vectors_test checks the whole SRTP transform built on them.

#include "media/srtp/openssl_primitives.h"

#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

#include "srtp_test_util.h"

namespace tg::media::srtp::detail {
namespace {

using test::fromHex;

struct Cipher {
  Cipher(const srtp_cipher_type_t& type, int keyLength, int tagLength) {
    EXPECT_EQ(type.alloc(&cipher, keyLength, tagLength), srtp_err_status_ok);
  }
  ~Cipher() {
    if (cipher != nullptr) cipher->type->dealloc(cipher);
  }
  void* state() const { return cipher->state; }
  const srtp_cipher_type_t& type() const { return *cipher->type; }

  srtp_cipher_t* cipher = nullptr;
};

// RFC 3711 B.2: AES-CM keystream for the session key and salt given there, at IV 0.
TEST(OpenSslAesIcm, Rfc3711KeystreamAcrossTwoCalls) {
  Cipher icm(kOpenSslAesIcm128, 30, 0);
  ASSERT_NE(icm.cipher, nullptr);
  EXPECT_EQ(icm.cipher->algorithm, SRTP_AES_ICM_128);
  const auto keyAndSalt = fromHex(
      "2B7E151628AED2A6ABF7158809CF4F3C"
      "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  ASSERT_EQ(icm.type().init(icm.state(), keyAndSalt.data()), srtp_err_status_ok);
  std::array<uint8_t, 16> iv{};
  ASSERT_EQ(icm.type().set_iv(icm.state(), iv.data(), srtp_direction_encrypt), srtp_err_status_ok);
  std::vector<uint8_t> keystream(48, 0);
  unsigned int first = 7;
  unsigned int rest = 41;
  ASSERT_EQ(icm.type().encrypt(icm.state(), keystream.data(), &first), srtp_err_status_ok);
  ASSERT_EQ(icm.type().encrypt(icm.state(), keystream.data() + 7, &rest), srtp_err_status_ok);
  EXPECT_EQ(keystream, fromHex("E03EAD0935C95E80E166B16DD92B4EB4"
                               "D23513162B02D0F72A43A2FE4A5F97AB"
                               "41E95B3BB0A2E8DD477901E4FCA894C0"));
  // A new IV starts the keystream again.
  ASSERT_EQ(icm.type().set_iv(icm.state(), iv.data(), srtp_direction_encrypt), srtp_err_status_ok);
  std::vector<uint8_t> again(16, 0);
  unsigned int length = 16;
  ASSERT_EQ(icm.type().encrypt(icm.state(), again.data(), &length), srtp_err_status_ok);
  EXPECT_EQ(again, fromHex("E03EAD0935C95E80E166B16DD92B4EB4"));
}

TEST(OpenSslAesIcm, RefusesKeyLengthsItDoesNotImplement) {
  srtp_cipher_t* cipher = nullptr;
  EXPECT_EQ(kOpenSslAesIcm128.alloc(&cipher, 38, 0), srtp_err_status_bad_param);
  EXPECT_EQ(kOpenSslAesIcm128.alloc(&cipher, 16, 0), srtp_err_status_bad_param);
  EXPECT_EQ(cipher, nullptr);
}

// McGrew and Viega's GCM test case 2: zero key, zero IV, one zero block.
TEST(OpenSslAesGcm, KnownAnswerAndForgedTag) {
  Cipher gcm(kOpenSslAesGcm128, 28, 16);
  ASSERT_NE(gcm.cipher, nullptr);
  EXPECT_EQ(gcm.cipher->algorithm, SRTP_AES_GCM_128);
  const std::vector<uint8_t> key(28, 0);
  ASSERT_EQ(gcm.type().init(gcm.state(), key.data()), srtp_err_status_ok);
  std::array<uint8_t, 12> iv{};

  std::vector<uint8_t> buffer(32, 0);
  unsigned int length = 16;
  ASSERT_EQ(gcm.type().set_iv(gcm.state(), iv.data(), srtp_direction_encrypt), srtp_err_status_ok);
  ASSERT_EQ(gcm.type().encrypt(gcm.state(), buffer.data(), &length), srtp_err_status_ok);
  uint32_t tagLength = 0;
  ASSERT_EQ(gcm.type().get_tag(gcm.state(), buffer.data() + 16, &tagLength), srtp_err_status_ok);
  EXPECT_EQ(tagLength, 16u);
  EXPECT_EQ(buffer, fromHex("0388DACE60B6A392F328C2B971B2FE78"
                            "AB6E47D42CEC13BDF53A67B21257BDDF"));

  std::vector<uint8_t> forged = buffer;
  forged[31] ^= 0x01;
  length = 32;
  ASSERT_EQ(gcm.type().set_iv(gcm.state(), iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
  EXPECT_EQ(gcm.type().decrypt(gcm.state(), forged.data(), &length), srtp_err_status_auth_fail);

  length = 32;
  ASSERT_EQ(gcm.type().set_iv(gcm.state(), iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
  ASSERT_EQ(gcm.type().decrypt(gcm.state(), buffer.data(), &length), srtp_err_status_ok);
  EXPECT_EQ(length, 16u);
  EXPECT_EQ(std::vector<uint8_t>(buffer.begin(), buffer.begin() + 16), std::vector<uint8_t>(16, 0));
}

struct Auth {
  Auth(int keyLength, int tagLength) {
    EXPECT_EQ(kOpenSslHmacSha1.alloc(&auth, keyLength, tagLength), srtp_err_status_ok);
  }
  ~Auth() {
    if (auth != nullptr) auth->type->dealloc(auth);
  }
  srtp_auth_t* auth = nullptr;
};

// RFC 2202 test case 2, whole and split as libsrtp feeds it (start, update, compute).
TEST(OpenSslHmacSha1, Rfc2202TagWholeSplitAndTruncated) {
  constexpr std::string_view kKey = "Jefe";
  constexpr std::string_view kData = "what do ya want for nothing?";
  const auto* key = reinterpret_cast<const uint8_t*>(kKey.data());
  const auto* data = reinterpret_cast<const uint8_t*>(kData.data());
  const auto expected = fromHex("EFFCDF6AE5EB2FA2D27416D5F184DF9C259A7C79");

  Auth hmac(static_cast<int>(kKey.size()), 20);
  ASSERT_NE(hmac.auth, nullptr);
  ASSERT_EQ(kOpenSslHmacSha1.init(hmac.auth->state, key, static_cast<int>(kKey.size())),
            srtp_err_status_ok);
  std::vector<uint8_t> tag(20, 0);
  ASSERT_EQ(kOpenSslHmacSha1.compute(hmac.auth->state, data, static_cast<int>(kData.size()), 20,
                                     tag.data()),
            srtp_err_status_ok);
  EXPECT_EQ(tag, expected);

  for (int round = 0; round < 2; ++round) {  // the second round reuses the keyed state
    std::vector<uint8_t> split(10, 0);
    ASSERT_EQ(kOpenSslHmacSha1.start(hmac.auth->state), srtp_err_status_ok);
    ASSERT_EQ(kOpenSslHmacSha1.update(hmac.auth->state, data, 9), srtp_err_status_ok);
    ASSERT_EQ(kOpenSslHmacSha1.compute(hmac.auth->state, data + 9,
                                       static_cast<int>(kData.size()) - 9, 10, split.data()),
              srtp_err_status_ok);
    EXPECT_EQ(split, std::vector<uint8_t>(expected.begin(), expected.begin() + 10));
  }
}

TEST(OpenSslHmacSha1, RefusesTagsLongerThanSha1) {
  srtp_auth_t* auth = nullptr;
  EXPECT_EQ(kOpenSslHmacSha1.alloc(&auth, 20, 21), srtp_err_status_bad_param);
  EXPECT_EQ(auth, nullptr);
}

}  // namespace
}  // namespace tg::media::srtp::detail
