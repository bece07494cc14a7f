#pragma once

// The outcome of verifying a call's caller identity, as the PBX, the CDR and the policy see it.

#include <cstdint>
#include <string>
#include <string_view>

#include "identity/passport.h"

namespace tg::identity {

// The verstat value carriers put on the caller's number (ATIS-1000074 / 3GPP TS 24.229).
enum class Verstat : uint8_t { kNoValidation, kPassed, kFailed };
std::string_view verstatName(Verstat v);  // "TN-Validation-Passed", ...

// Why verification did not pass, each with its RFC 8224 answer.
enum class Failure : uint8_t {
  kNone,
  kMissing,    // no Identity header: 428 Use Identity Header
  kBadInfo,    // x5u unusable (fetch failed, not https, bad content): 436 Bad Identity Info
  kUntrusted,  // chain not trusted, wrong key type: 437 Unsupported Credential
  kInvalid,    // malformed, bad signature, orig/dest mismatch: 438 Invalid Identity Header
  kStale,      // iat outside the freshness window: 403 Stale Date
};
int failureCode(Failure f);
std::string_view failureReasonPhrase(Failure f);  // "Invalid Identity Header", ...
std::string_view failureName(Failure f);          // "invalid", ... (events, CDR)

struct Verification {
  Verstat verstat = Verstat::kNoValidation;
  Failure failure = Failure::kMissing;
  std::string detail;  // what failed, e.g. "orig 12155551212 is not the caller 12155550000"
  Attestation attest = Attestation::kNone;
  std::string origid;
  std::string x5u;
  bool passed() const { return verstat == Verstat::kPassed; }
};

}  // namespace tg::identity
