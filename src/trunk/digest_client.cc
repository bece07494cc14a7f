#include "trunk/digest_client.h"

#include <cstdio>

#include "base/random.h"
#include "sip/auth_header.h"

namespace tg::trunk {
namespace {

int strength(sip::DigestAlgorithm a) {
  switch (a) {
    case sip::DigestAlgorithm::kSha512_256:
    case sip::DigestAlgorithm::kSha512_256Sess:
      return 3;
    case sip::DigestAlgorithm::kSha256:
    case sip::DigestAlgorithm::kSha256Sess:
      return 2;
    case sip::DigestAlgorithm::kMd5:
    case sip::DigestAlgorithm::kMd5Sess:
      return 1;
  }
  return 0;
}

}  // namespace

void DigestClient::reset() {
  nonce_.clear();
  realm_.clear();
  opaque_.clear();
  nc_ = 0;
  stale_ = false;
}

std::optional<Authorization> DigestClient::answer(const sip::Message& response,
                                                  std::string_view method, std::string_view uri,
                                                  std::string_view body,
                                                  const config::ProviderAuth& auth,
                                                  std::string* why) {
  const bool proxy = response.statusCode() == 407;
  const sip::HeaderId challengeId =
      proxy ? sip::HeaderId::kProxyAuthenticate : sip::HeaderId::kWwwAuthenticate;
  std::optional<sip::Challenge> best;
  sip::DigestAlgorithm bestAlg = sip::DigestAlgorithm::kMd5;
  std::string refusal = "no Digest challenge in the " + std::to_string(response.statusCode());
  response.forEach(challengeId, [&](const sip::HeaderField& f) {
    auto parsed = sip::parseChallenge(f.value);
    if (!parsed || !parsed->isDigest() || !parsed->missingRequired().empty()) return;
    auto alg = sip::parseDigestAlgorithm(parsed->algorithm.view());
    if (!alg) {
      refusal = "unsupported digest algorithm " + std::string(parsed->algorithm.view());
      return;
    }
    if (!auth.realm.empty() && !parsed->realm.equals(auth.realm)) {
      // Credentials are only ever offered to the realm they were issued for.
      refusal = "challenge for realm '" + parsed->realm.str() + "', configured realm is '" +
                auth.realm + "'";
      return;
    }
    if (parsed->qop.present && !parsed->offersQop("auth") && !parsed->offersQop("auth-int")) {
      refusal = "unsupported qop " + std::string(parsed->qop.view());
      return;
    }
    if (!best || strength(*alg) > strength(bestAlg)) {
      best = *parsed;
      bestAlg = *alg;
    }
  });
  if (!best) {
    if (why != nullptr) *why = refusal;
    return std::nullopt;
  }
  header_ = proxy ? sip::HeaderId::kProxyAuthorization : sip::HeaderId::kAuthorization;
  algorithm_ = bestAlg;
  algorithmWritten_ = best->algorithm.present;
  qop_ = !best->qop.present        ? sip::DigestQop::kNone
         : best->offersQop("auth") ? sip::DigestQop::kAuth
                                   : sip::DigestQop::kAuthInt;
  userhash_ = best->userhash;
  stale_ = best->stale;
  realm_ = best->realm.str();
  nonce_ = best->nonce.str();
  opaque_ = best->opaque.present ? best->opaque.str() : std::string();
  nc_ = 0;
  return build(method, uri, body, auth);
}

std::optional<Authorization> DigestClient::reuse(std::string_view method, std::string_view uri,
                                                 std::string_view body,
                                                 const config::ProviderAuth& auth) {
  if (nonce_.empty()) return std::nullopt;
  return build(method, uri, body, auth);
}

Authorization DigestClient::build(std::string_view method, std::string_view uri,
                                  std::string_view body, const config::ProviderAuth& auth) {
  ++nc_;
  char nc[9];
  std::snprintf(nc, sizeof(nc), "%08x", nc_);
  const std::string cnonce = fixedCnonce_.empty() ? base::randomHex(8) : fixedCnonce_;

  sip::DigestInputs in;
  in.algorithm = algorithm_;
  in.username = auth.username;
  in.realm = realm_;
  in.password = auth.password.reveal();
  in.method = method;
  in.uri = uri;
  in.nonce = nonce_;
  in.qop = qop_;
  in.body = body;
  if (qop_ != sip::DigestQop::kNone || sip::isSession(algorithm_)) {
    in.nc = nc;
    in.cnonce = cnonce;
  }
  const std::string response = sip::computeResponse(in);
  const std::string hashedUser =
      userhash_ ? sip::userhash(algorithm_, auth.username, realm_) : std::string();
  const std::string algName(sip::name(algorithm_));

  sip::Credentials c;
  if (userhash_) {
    c.username = hashedUser;
  } else {
    c.username = auth.username;
  }
  c.userhash = userhash_;
  c.realm = realm_;
  c.nonce = nonce_;
  c.uri = uri;
  c.response = response;
  if (algorithmWritten_) c.algorithm = algName;
  if (!opaque_.empty()) c.opaque = opaque_;
  const std::string qopName(sip::name(qop_));
  if (qop_ != sip::DigestQop::kNone) {
    c.qop = qopName;
    c.nc = std::string_view(nc);
    c.cnonce = cnonce;
  }
  Authorization out;
  out.header = header_;
  out.value = sip::formatCredentials(c);
  return out;
}

}  // namespace tg::trunk
