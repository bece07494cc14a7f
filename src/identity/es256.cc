#include "identity/es256.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include <string>

namespace tg::identity {

bool verifyEs256(EVP_PKEY* key, std::string_view signingInput, std::string_view signature) {
  if (key == nullptr || signature.size() != 64) return false;
  // OpenSSL verifies DER (SEQUENCE of two INTEGERs); JWS carries the fixed-width R||S.
  const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
  BIGNUM* r = BN_bin2bn(raw, 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw + 32, 32, nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (r == nullptr || s == nullptr || sig == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* der = nullptr;
  const int derLen = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (derLen <= 0) return false;

  bool ok = false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1) {
    ok = EVP_DigestVerify(ctx, der, static_cast<size_t>(derLen),
                          reinterpret_cast<const unsigned char*>(signingInput.data()),
                          signingInput.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

}  // namespace tg::identity
