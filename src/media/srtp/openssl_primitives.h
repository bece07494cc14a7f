#pragma once

// OpenSSL implementations of the primitives libsrtp2 runs per packet: AES-ICM (128 and 256),
// AES-GCM (128 and 256) and HMAC-SHA1, in libsrtp's cipher and auth type interfaces
// (srtp2/cipher.h, srtp2/auth.h). libsrtp2 as Debian builds it uses NSS, which allocates and
// takes locks inside every call; these keep their OpenSSL state from the context's creation to
// its end, so a packet is transformed without a heap allocation or a lock.

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

namespace tg::media::srtp::detail {

extern const srtp_cipher_type_t kOpenSslAesIcm128;
extern const srtp_cipher_type_t kOpenSslAesIcm256;
extern const srtp_cipher_type_t kOpenSslAesGcm128;
extern const srtp_cipher_type_t kOpenSslAesGcm256;
extern const srtp_auth_type_t kOpenSslHmacSha1;

}  // namespace tg::media::srtp::detail
