// AES-ICM (RFC 3711 4.1.1) and AES-GCM (RFC 7714) for libsrtp's cipher type interface, on one
// EVP_CIPHER_CTX per cipher instance. The key schedule is set once per key; a packet only sets
// a new IV on the same context, which OpenSSL does without allocating.

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <new>

#include "media/srtp/openssl_primitives.h"

// libsrtp's known-answer vectors, exported by libsrtp2 but not declared in its headers.
extern "C" const srtp_cipher_test_case_t srtp_aes_icm_128_test_case_0;
extern "C" const srtp_cipher_test_case_t srtp_aes_icm_256_test_case_0;
extern "C" const srtp_cipher_test_case_t srtp_aes_gcm_128_test_case_0;
extern "C" const srtp_cipher_test_case_t srtp_aes_gcm_256_test_case_0;

namespace tg::media::srtp::detail {

namespace {

constexpr int kIcmSaltLength = 14;  // RFC 3711: 112-bit session salt
constexpr int kGcmSaltLength = 12;  // RFC 7714: 96-bit session salt (libsrtp forms the IV)
constexpr size_t kBlockLength = 16;
constexpr int kGcmIvLength = 12;

struct CipherInstance {
  srtp_cipher_t cipher;
  EVP_CIPHER_CTX* context;
  int aesKeyLength;
  int tagLength;  // GCM only
  // AES-ICM: the session salt, left-aligned in a counter block; each IV is XORed onto it.
  std::array<uint8_t, kBlockLength> saltBlock;
};

CipherInstance* instanceOf(void* state) { return static_cast<CipherInstance*>(state); }

// key_len counts key and salt, as libsrtp passes it; algorithm is what libsrtp's srtp.c checks
// to choose between the AES-CM and the AEAD packet layouts.
srtp_err_status_t allocate(srtp_cipher_pointer_t* out, const srtp_cipher_type_t* type,
                           const EVP_CIPHER* evp, int keyLength, int aesKeyLength, int algorithm,
                           int tagLength) {
  auto* instance = new (std::nothrow) CipherInstance{};
  if (instance == nullptr) return srtp_err_status_alloc_fail;
  instance->context = EVP_CIPHER_CTX_new();
  if (instance->context == nullptr ||
      EVP_CipherInit_ex(instance->context, evp, nullptr, nullptr, nullptr, 1) != 1) {
    EVP_CIPHER_CTX_free(instance->context);
    delete instance;
    return srtp_err_status_alloc_fail;
  }
  instance->aesKeyLength = aesKeyLength;
  instance->tagLength = tagLength;
  instance->cipher.type = type;
  instance->cipher.state = instance;
  instance->cipher.key_len = keyLength;
  instance->cipher.algorithm = algorithm;
  *out = &instance->cipher;
  return srtp_err_status_ok;
}

srtp_err_status_t deallocate(srtp_cipher_pointer_t cipher) {
  auto* instance = instanceOf(cipher->state);
  EVP_CIPHER_CTX_free(instance->context);  // cleanses the key schedule
  OPENSSL_cleanse(instance->saltBlock.data(), instance->saltBlock.size());
  delete instance;
  return srtp_err_status_ok;
}

srtp_err_status_t transformInPlace(void* state, uint8_t* buffer, unsigned int* length) {
  int written = 0;
  if (EVP_CipherUpdate(instanceOf(state)->context, buffer, &written, buffer,
                       static_cast<int>(*length)) != 1 ||
      written != static_cast<int>(*length)) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

// ---- AES-ICM ----

srtp_err_status_t allocateIcm(srtp_cipher_pointer_t* out, int keyLength, int /*tagLength*/) {
  switch (keyLength) {
    case 16 + kIcmSaltLength:
      return allocate(out, &kOpenSslAesIcm128, EVP_aes_128_ctr(), keyLength, 16, SRTP_AES_ICM_128,
                      0);
    case 32 + kIcmSaltLength:
      return allocate(out, &kOpenSslAesIcm256, EVP_aes_256_ctr(), keyLength, 32, SRTP_AES_ICM_256,
                      0);
    default:
      return srtp_err_status_bad_param;
  }
}

srtp_err_status_t initialiseIcm(void* state, const uint8_t* keyAndSalt) {
  auto* instance = instanceOf(state);
  instance->saltBlock.fill(0);
  std::copy_n(keyAndSalt + instance->aesKeyLength, kIcmSaltLength, instance->saltBlock.begin());
  if (EVP_CipherInit_ex(instance->context, nullptr, nullptr, keyAndSalt, nullptr, 1) != 1) {
    return srtp_err_status_init_fail;
  }
  return srtp_err_status_ok;
}

// The counter block is salt XOR IV; its low 16 bits count blocks within the packet, which
// EVP's 128-bit counter does the same way for any packet shorter than 1 MiB.
srtp_err_status_t setIcmIv(void* state, uint8_t* iv, srtp_cipher_direction_t /*direction*/) {
  auto* instance = instanceOf(state);
  std::array<uint8_t, kBlockLength> counter{};
  for (size_t i = 0; i < kBlockLength; ++i) counter[i] = instance->saltBlock[i] ^ iv[i];
  if (EVP_CipherInit_ex(instance->context, nullptr, nullptr, nullptr, counter.data(), 1) != 1) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

// ---- AES-GCM ----

srtp_err_status_t allocateGcm(srtp_cipher_pointer_t* out, int keyLength, int tagLength) {
  if (tagLength != 8 && tagLength != 16) return srtp_err_status_bad_param;
  switch (keyLength) {
    case 16 + kGcmSaltLength:
      return allocate(out, &kOpenSslAesGcm128, EVP_aes_128_gcm(), keyLength, 16, SRTP_AES_GCM_128,
                      tagLength);
    case 32 + kGcmSaltLength:
      return allocate(out, &kOpenSslAesGcm256, EVP_aes_256_gcm(), keyLength, 32, SRTP_AES_GCM_256,
                      tagLength);
    default:
      return srtp_err_status_bad_param;
  }
}

// libsrtp keeps the salt and passes the finished 96-bit IV per packet; only the key is used.
srtp_err_status_t initialiseGcm(void* state, const uint8_t* key) {
  if (EVP_CipherInit_ex(instanceOf(state)->context, nullptr, nullptr, key, nullptr, 1) != 1) {
    return srtp_err_status_init_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t setGcmIv(void* state, uint8_t* iv, srtp_cipher_direction_t direction) {
  const int encrypt = direction == srtp_direction_decrypt ? 0 : 1;
  if (EVP_CipherInit_ex(instanceOf(state)->context, nullptr, nullptr, nullptr, iv, encrypt) != 1) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t setGcmAad(void* state, const uint8_t* aad, uint32_t length) {
  int written = 0;
  if (EVP_CipherUpdate(instanceOf(state)->context, nullptr, &written, aad,
                       static_cast<int>(length)) != 1) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

// Encrypts; the tag follows from getGcmTag.
srtp_err_status_t encryptGcm(void* state, uint8_t* buffer, unsigned int* length) {
  return transformInPlace(state, buffer, length);
}

srtp_err_status_t getGcmTag(void* state, uint8_t* tag, uint32_t* length) {
  auto* instance = instanceOf(state);
  int written = 0;
  if (EVP_CipherFinal_ex(instance->context, nullptr, &written) != 1 ||
      EVP_CIPHER_CTX_ctrl(instance->context, EVP_CTRL_GCM_GET_TAG, instance->tagLength, tag) != 1) {
    return srtp_err_status_algo_fail;
  }
  *length = static_cast<uint32_t>(instance->tagLength);
  return srtp_err_status_ok;
}

// `length` covers the ciphertext and the tag after it; on success it is the plaintext's.
srtp_err_status_t decryptGcm(void* state, uint8_t* buffer, unsigned int* length) {
  auto* instance = instanceOf(state);
  const auto tagLength = static_cast<unsigned int>(instance->tagLength);
  if (*length < tagLength) return srtp_err_status_bad_param;
  unsigned int ciphertextLength = *length - tagLength;
  if (EVP_CIPHER_CTX_ctrl(instance->context, EVP_CTRL_GCM_SET_TAG, instance->tagLength,
                          buffer + ciphertextLength) != 1 ||
      transformInPlace(state, buffer, &ciphertextLength) != srtp_err_status_ok) {
    return srtp_err_status_cipher_fail;
  }
  int written = 0;
  if (EVP_CipherFinal_ex(instance->context, nullptr, &written) != 1) {
    return srtp_err_status_auth_fail;
  }
  *length = ciphertextLength;
  return srtp_err_status_ok;
}

}  // namespace

const srtp_cipher_type_t kOpenSslAesIcm128 = {
    .alloc = allocateIcm,
    .dealloc = deallocate,
    .init = initialiseIcm,
    .set_aad = nullptr,
    .encrypt = transformInPlace,
    .decrypt = transformInPlace,
    .set_iv = setIcmIv,
    .get_tag = nullptr,
    .description = "AES-128 counter mode (OpenSSL)",
    .test_data = &srtp_aes_icm_128_test_case_0,
    .id = SRTP_AES_ICM_128,
};

const srtp_cipher_type_t kOpenSslAesIcm256 = {
    .alloc = allocateIcm,
    .dealloc = deallocate,
    .init = initialiseIcm,
    .set_aad = nullptr,
    .encrypt = transformInPlace,
    .decrypt = transformInPlace,
    .set_iv = setIcmIv,
    .get_tag = nullptr,
    .description = "AES-256 counter mode (OpenSSL)",
    .test_data = &srtp_aes_icm_256_test_case_0,
    .id = SRTP_AES_ICM_256,
};

const srtp_cipher_type_t kOpenSslAesGcm128 = {
    .alloc = allocateGcm,
    .dealloc = deallocate,
    .init = initialiseGcm,
    .set_aad = setGcmAad,
    .encrypt = encryptGcm,
    .decrypt = decryptGcm,
    .set_iv = setGcmIv,
    .get_tag = getGcmTag,
    .description = "AES-128 GCM (OpenSSL)",
    .test_data = &srtp_aes_gcm_128_test_case_0,
    .id = SRTP_AES_GCM_128,
};

const srtp_cipher_type_t kOpenSslAesGcm256 = {
    .alloc = allocateGcm,
    .dealloc = deallocate,
    .init = initialiseGcm,
    .set_aad = setGcmAad,
    .encrypt = encryptGcm,
    .decrypt = decryptGcm,
    .set_iv = setGcmIv,
    .get_tag = getGcmTag,
    .description = "AES-256 GCM (OpenSSL)",
    .test_data = &srtp_aes_gcm_256_test_case_0,
    .id = SRTP_AES_GCM_256,
};

}  // namespace tg::media::srtp::detail
