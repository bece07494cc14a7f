#pragma once

// The client side of SIP digest authentication (RFC 3261 §22.2, RFC 7616, RFC 8760): answers a
// provider's 401/407 with the credentials only trunkguard holds. Among several challenges the
// strongest algorithm wins (SHA-512-256, SHA-256, then MD5); qop=auth is preferred, auth-int
// is used when it is all that is offered, and the RFC 2069 form when no qop is offered. The
// challenge is kept so that later requests (REGISTER refreshes) can reuse its nonce with the
// next nonce count.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/provider_auth_config.h"
#include "sip/digest.h"
#include "sip/header.h"
#include "sip/message.h"

namespace tg::trunk {

struct Authorization {
  sip::HeaderId header = sip::HeaderId::kAuthorization;  // or kProxyAuthorization (407)
  std::string value;
};

class DigestClient {
 public:
  // Takes the challenge in `response` (a 401 or 407) and answers it for a request with this
  // method, Request-URI and body. nullopt and *why when nothing in it can be answered: no
  // Digest challenge, only unknown algorithms, or a realm other than the configured one.
  std::optional<Authorization> answer(const sip::Message& response, std::string_view method,
                                      std::string_view uri, std::string_view body,
                                      const config::ProviderAuth& auth, std::string* why);
  // Answers the stored challenge again for a new request (nc + 1); nullopt without one.
  std::optional<Authorization> reuse(std::string_view method, std::string_view uri,
                                     std::string_view body, const config::ProviderAuth& auth);

  bool hasChallenge() const { return !nonce_.empty(); }
  const std::string& nonce() const { return nonce_; }
  // The last challenge said stale=true: the credentials were right, only the nonce was old.
  bool stale() const { return stale_; }
  uint32_t nonceCount() const { return nc_; }
  void reset();
  // For tests: a fixed client nonce instead of a random one.
  void setCnonceForTest(std::string cnonce) { fixedCnonce_ = std::move(cnonce); }

 private:
  Authorization build(std::string_view method, std::string_view uri, std::string_view body,
                      const config::ProviderAuth& auth);

  sip::HeaderId header_ = sip::HeaderId::kAuthorization;
  sip::DigestAlgorithm algorithm_ = sip::DigestAlgorithm::kMd5;
  bool algorithmWritten_ = false;  // echo algorithm= only when the challenge named one
  sip::DigestQop qop_ = sip::DigestQop::kNone;
  bool userhash_ = false;
  bool stale_ = false;
  std::string realm_;
  std::string nonce_;
  std::string opaque_;
  uint32_t nc_ = 0;
  std::string fixedCnonce_;
};

}  // namespace tg::trunk
