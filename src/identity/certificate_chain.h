#pragma once

// The signer's certificate chain (what x5u serves: PEM, leaf first) verified against the
// configured STI-CA trust anchors, giving the leaf's P-256 public key.

#include <openssl/x509_vfy.h>

#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "identity/es256.h"
#include "sip/result.h"

namespace tg::identity {

// The trust anchors (a PEM bundle of CA certificates). Immutable once built; shared by workers.
class TrustStore {
 public:
  static sip::Result<std::shared_ptr<const TrustStore>> fromPem(std::string_view pem);
  static sip::Result<std::shared_ptr<const TrustStore>> fromFile(const std::string& path);
  ~TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;

  X509_STORE* store() const { return store_; }
  size_t anchors() const { return anchors_; }

 private:
  TrustStore() = default;
  X509_STORE* store_ = nullptr;
  size_t anchors_ = 0;
};

struct VerifiedChain {
  PublicKey key;        // the leaf's public key (EC P-256)
  std::string subject;  // the leaf's subject, for events and `explain`
};

// Parses `pem` (leaf first, then intermediates) and verifies it at time `now` against `trust`.
// Failures: "no certificate in x5u content", "certificate chain not trusted: <OpenSSL reason>",
// "certificate key is not EC P-256".
sip::Result<VerifiedChain> verifyChain(std::string_view pem, const TrustStore& trust, time_t now);

}  // namespace tg::identity
