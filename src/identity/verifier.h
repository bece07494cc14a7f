#pragma once

// STIR/SHAKEN verification of one INVITE (RFC 8224 §6.2, RFC 8588, ATIS-1000074), in two
// steps so the certificate fetch between them never blocks a worker:
//   1. checkClaims: the Identity header and PASSporT against the call (no key needed);
//   2. checkSignature: the signature under the x5u certificate once it is known.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/identity_config.h"
#include "identity/certificate_chain.h"
#include "identity/passport.h"
#include "identity/verification.h"
#include "sip/message.h"

namespace tg::identity {

// What verification needs from the request, taken out of it once.
struct CallFacts {
  std::vector<std::string_view> identityHeaders;  // every Identity header value, in order
  // Canonical caller numbers: the P-Asserted-Identity's when present, else the From's
  // (ATIS-1000074 §5.3.1); canonical called numbers: the Request-URI's and the To's.
  std::vector<std::string> callerTns;
  std::vector<std::string> calledTns;
  std::optional<int64_t> date;  // the Date header, when present and well formed
  int64_t now = 0;              // the clock, seconds since the epoch
};
CallFacts callFactsOf(const sip::Message& request, std::string_view countryCode, int64_t now);

struct ClaimCheck {
  std::optional<Verification> done;  // set: finished (a failure, or no Identity at all)
  Passport passport;                 // otherwise: claims match; verify under passport.x5u
};
ClaimCheck checkClaims(const CallFacts& call, const config::IdentitySettings& settings);

// The final step with the certificate chain's outcome (verifyChain's result).
Verification checkSignature(const Passport& passport, const sip::Result<VerifiedChain>& chain);

// The x5u could not be used (fetch refused or failed): `why` says how.
Verification badInfo(const Passport& passport, std::string why);

}  // namespace tg::identity
