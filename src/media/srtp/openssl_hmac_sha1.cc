// HMAC-SHA1 (RFC 2104) for libsrtp's auth type interface. The SHA-1 states after absorbing the
// key's inner and outer pads are computed once per key; a packet copies them (plain structs) and
// hashes on, which is what keeps it free of allocation. OpenSSL 3.0's EVP digest and HMAC
// contexts duplicate their provider state on every copy or re-init, so the SHA-1 functions it
// marks deprecated (still exported, still its assembly) are the ones used here.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <new>

#include "media/srtp/openssl_primitives.h"

extern "C" const srtp_auth_test_case_t srtp_hmac_test_case_0;  // libsrtp's, not in its headers

namespace tg::media::srtp::detail {

namespace {

constexpr int kShaBlockLength = 64;
constexpr uint8_t kInnerPad = 0x36;
constexpr uint8_t kOuterPad = 0x5c;

struct HmacSha1State {
  SHA_CTX inner;    // after key ^ ipad
  SHA_CTX outer;    // after key ^ opad
  SHA_CTX current;  // the packet being authenticated
};

struct HmacSha1Auth {
  srtp_auth_t auth;
  HmacSha1State state;
};

srtp_err_status_t allocate(srtp_auth_pointer_t* out, int keyLength, int tagLength) {
  if (keyLength < 0 || keyLength > SHA_DIGEST_LENGTH || tagLength < 0 ||
      tagLength > SHA_DIGEST_LENGTH) {
    return srtp_err_status_bad_param;
  }
  auto* instance = new (std::nothrow) HmacSha1Auth{};
  if (instance == nullptr) return srtp_err_status_alloc_fail;
  instance->auth.type = &kOpenSslHmacSha1;
  instance->auth.state = &instance->state;
  instance->auth.out_len = tagLength;
  instance->auth.key_len = keyLength;
  instance->auth.prefix_len = 0;
  *out = &instance->auth;
  return srtp_err_status_ok;
}

srtp_err_status_t deallocate(srtp_auth_pointer_t auth) {
  auto* instance = reinterpret_cast<HmacSha1Auth*>(auth);
  OPENSSL_cleanse(&instance->state, sizeof(instance->state));
  delete instance;
  return srtp_err_status_ok;
}

srtp_err_status_t initialise(void* opaque, const uint8_t* key, int keyLength) {
  if (keyLength < 0 || keyLength > SHA_DIGEST_LENGTH) return srtp_err_status_bad_param;
  auto* state = static_cast<HmacSha1State*>(opaque);
  std::array<uint8_t, kShaBlockLength> pad{};
  std::fill(pad.begin(), pad.end(), kInnerPad);
  for (int i = 0; i < keyLength; ++i) pad[static_cast<size_t>(i)] ^= key[i];
  SHA1_Init(&state->inner);
  SHA1_Update(&state->inner, pad.data(), pad.size());
  std::fill(pad.begin(), pad.end(), kOuterPad);
  for (int i = 0; i < keyLength; ++i) pad[static_cast<size_t>(i)] ^= key[i];
  SHA1_Init(&state->outer);
  SHA1_Update(&state->outer, pad.data(), pad.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  // libsrtp's known-answer test computes right after init, without start().
  state->current = state->inner;
  return srtp_err_status_ok;
}

srtp_err_status_t start(void* opaque) {
  auto* state = static_cast<HmacSha1State*>(opaque);
  state->current = state->inner;
  return srtp_err_status_ok;
}

srtp_err_status_t update(void* opaque, const uint8_t* data, int length) {
  if (length < 0) return srtp_err_status_bad_param;
  SHA1_Update(&static_cast<HmacSha1State*>(opaque)->current, data, static_cast<size_t>(length));
  return srtp_err_status_ok;
}

srtp_err_status_t compute(void* opaque, const uint8_t* data, int length, int tagLength,
                          uint8_t* tag) {
  if (length < 0 || tagLength < 0 || tagLength > SHA_DIGEST_LENGTH) {
    return srtp_err_status_bad_param;
  }
  auto* state = static_cast<HmacSha1State*>(opaque);
  std::array<uint8_t, SHA_DIGEST_LENGTH> digest{};
  SHA1_Update(&state->current, data, static_cast<size_t>(length));
  SHA1_Final(digest.data(), &state->current);
  SHA_CTX outer = state->outer;
  SHA1_Update(&outer, digest.data(), digest.size());
  SHA1_Final(digest.data(), &outer);
  std::copy_n(digest.begin(), tagLength, tag);
  return srtp_err_status_ok;
}

}  // namespace

const srtp_auth_type_t kOpenSslHmacSha1 = {
    .alloc = allocate,
    .dealloc = deallocate,
    .init = initialise,
    .compute = compute,
    .update = update,
    .start = start,
    .description = "HMAC-SHA1 (OpenSSL)",
    .test_data = &srtp_hmac_test_case_0,
    .id = SRTP_HMAC_SHA1,
};

}  // namespace tg::media::srtp::detail
