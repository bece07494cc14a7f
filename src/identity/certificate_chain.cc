#include "identity/certificate_chain.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace tg::identity {
namespace {

using sip::Error;

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memoryBio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

bool isP256(EVP_PKEY* key) {
  if (EVP_PKEY_base_id(key) != EVP_PKEY_EC) return false;
  char group[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &len) != 1) return false;
  return std::string_view(group, len) == "prime256v1";
}

}  // namespace

TrustStore::~TrustStore() { X509_STORE_free(store_); }

sip::Result<std::shared_ptr<const TrustStore>> TrustStore::fromPem(std::string_view pem) {
  std::shared_ptr<TrustStore> t(new TrustStore());
  t->store_ = X509_STORE_new();
  if (t->store_ == nullptr) return Error{"out of memory"};
  BioPtr bio = memoryBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(t->store_, cert) == 1) ++t->anchors_;
    X509_free(cert);
  }
  ERR_clear_error();  // the read that ends the loop leaves "no start line" behind
  if (t->anchors_ == 0) return Error{"no CA certificate in the trust bundle"};
  return std::shared_ptr<const TrustStore>(std::move(t));
}

sip::Result<std::shared_ptr<const TrustStore>> TrustStore::fromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read the trust bundle"};
  std::ostringstream text;
  text << in.rdbuf();
  return fromPem(text.str());
}

sip::Result<VerifiedChain> verifyChain(std::string_view pem, const TrustStore& trust, time_t now) {
  BioPtr bio = memoryBio(pem);
  X509* leaf = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    ERR_clear_error();
    return Error{"no certificate in x5u content"};
  }
  STACK_OF(X509)* intermediates = sk_X509_new_null();
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(intermediates, cert);
  }
  ERR_clear_error();

  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  sip::Result<VerifiedChain> result = Error{"out of memory"};
  if (ctx != nullptr && X509_STORE_CTX_init(ctx, trust.store(), leaf, intermediates) == 1) {
    X509_STORE_CTX_set_time(ctx, 0, now);
    if (X509_verify_cert(ctx) != 1) {
      // A static string per reason (Error keeps a view): OpenSSL's table is static too.
      result = Error{X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx))};
    } else {
      EVP_PKEY* key = X509_get_pubkey(leaf);
      if (key == nullptr || !isP256(key)) {
        EVP_PKEY_free(key);
        result = Error{"certificate key is not EC P-256"};
      } else {
        VerifiedChain chain;
        chain.key = PublicKey(key, EVP_PKEY_free);
        char subject[256] = {};
        X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof(subject));
        chain.subject = subject;
        result = std::move(chain);
      }
    }
  }
  X509_STORE_CTX_free(ctx);
  sk_X509_pop_free(intermediates, X509_free);
  X509_free(leaf);
  ERR_clear_error();
  return result;
}

}  // namespace tg::identity
