#include "transport/tls_ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <cstring>
#include <stdexcept>

namespace tg::transport {
namespace {

// The ring an SSL_CTX uses, kept in the context's ex_data.
int ringIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool setHmacKey(EVP_MAC_CTX* hctx, const TicketKeyRing::Key& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[3];
  params[0] = OSSL_PARAM_construct_octet_string(
      OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmacKey.data()), key.hmacKey.size());
  params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
  params[2] = OSSL_PARAM_construct_end();
  return EVP_MAC_CTX_set_params(hctx, params) == 1;
}

// OpenSSL's ticket callback (SSL_CTX_set_tlsext_ticket_key_evp_cb): 1 sealed/opened, 2 opened
// with the previous key (OpenSSL then issues a fresh ticket), 0 unknown key (full handshake),
// -1 error.
int ticketCallback(SSL* ssl, unsigned char* keyName, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                   EVP_MAC_CTX* hctx, int encrypt) {
  auto* ring = static_cast<TicketKeyRing*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ringIndex()));
  if (ring == nullptr) return -1;
  if (encrypt == 1) {
    const TicketKeyRing::Key key = ring->current();
    if (RAND_bytes(iv, 16) != 1) return -1;
    std::memcpy(keyName, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aesKey.data(), iv) != 1) {
      return -1;
    }
    return setHmacKey(hctx, key) ? 1 : -1;
  }
  const auto found = ring->find(keyName);
  if (!found) return 0;
  if (!setHmacKey(hctx, found->key)) return -1;
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, found->key.aesKey.data(), iv) != 1) {
    return -1;
  }
  return found->age == TicketKeyRing::Age::kCurrent ? 1 : 2;
}

}  // namespace

TicketKeyRing::TicketKeyRing(const base::Clock& clock, base::Duration rotateEvery)
    : clock_(clock), rotateEvery_(rotateEvery), rotatedAt_(clock.now()), current_(freshKey()) {}

TicketKeyRing::Key TicketKeyRing::freshKey() {
  Key key;
  if (RAND_bytes(key.name.data(), static_cast<int>(key.name.size())) != 1 ||
      RAND_bytes(key.aesKey.data(), static_cast<int>(key.aesKey.size())) != 1 ||
      RAND_bytes(key.hmacKey.data(), static_cast<int>(key.hmacKey.size())) != 1) {
    throw std::runtime_error("no random bytes for a TLS ticket key");
  }
  return key;
}

void TicketKeyRing::rotateIfDue() {
  const base::TimePoint now = clock_.now();
  if (now - rotatedAt_ < rotateEvery_) return;
  // After a long quiet spell the previous key is older than one period: drop it too.
  previous_ = now - rotatedAt_ < 2 * rotateEvery_ ? std::optional<Key>(current_) : std::nullopt;
  current_ = freshKey();
  rotatedAt_ = now;
}

TicketKeyRing::Key TicketKeyRing::current() {
  const std::lock_guard lock(mutex_);
  rotateIfDue();
  return current_;
}

std::optional<TicketKeyRing::Found> TicketKeyRing::find(const unsigned char* name) {
  const std::lock_guard lock(mutex_);
  rotateIfDue();
  if (std::memcmp(name, current_.name.data(), current_.name.size()) == 0) {
    return Found{current_, Age::kCurrent};
  }
  if (previous_ && std::memcmp(name, previous_->name.data(), previous_->name.size()) == 0) {
    return Found{*previous_, Age::kPrevious};
  }
  return std::nullopt;
}

TicketKeyRing& TicketKeyRing::process() {
  static TicketKeyRing ring(base::SystemClock::instance(), kDefaultRotation);
  return ring;
}

void TicketKeyRing::install(SSL_CTX* ctx, TicketKeyRing& ring) {
  SSL_CTX_set_ex_data(ctx, ringIndex(), &ring);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticketCallback);
  // A session lives as long as some key can open its ticket: at least one rotation period.
  SSL_CTX_set_timeout(
      ctx, static_cast<long>(
               std::chrono::duration_cast<std::chrono::seconds>(ring.rotateEvery()).count()));
}

}  // namespace tg::transport
