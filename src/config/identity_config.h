#pragma once

// The `identity:` section (identity_section.cc): STIR/SHAKEN verification of calls from the
// providers (docs/identity.md). Off by default.

#include <chrono>
#include <cstddef>
#include <string>

namespace tg::config {

// What happens to a call whose verification failed or that carried no Identity header.
enum class IdentityAction : uint8_t {
  kContinue,  // pass it on with verstat only
  kTag,       // prefix the caller's display name (tag_prefix) so the PBX shows it
  kReject,    // answer with the RFC 8224 code of the failure (or reject_code when set)
};

struct IdentitySettings {
  bool enabled = false;
  // PEM bundle of the trusted STI certification authorities; required when enabled.
  std::string trustBundle;
  // A PASSporT's iat older (or newer) than this against the Date header and the clock fails.
  std::chrono::seconds maxAge{60};
  // Canonicalising national numbers (RFC 8224 §8.3): digits without '+' that are not already
  // international get this country code (e.g. "1"); empty: compared as written.
  std::string countryCode = "1";

  // Certificate fetch of the x5u URL: HTTPS only, bounded in time, size and redirects.
  std::chrono::milliseconds fetchTimeout{2000};
  size_t maxCertificateBytes = 64 * 1024;
  int maxRedirects = 2;
  // A certificate stays cached for its Cache-Control max-age, at most this long.
  std::chrono::seconds cacheMaxAge{86400};
  size_t cacheEntries = 1000;
  // Test only: x5u may name loopback, private or link-local addresses.
  bool allowPrivateX5u = false;
  // The CAs that sign the x5u HTTPS servers' certificates (PEM); empty: the system store.
  std::string fetchCaFile;

  IdentityAction onMissing = IdentityAction::kContinue;
  IdentityAction onFailed = IdentityAction::kTag;
  std::string tagPrefix = "SPAM? ";
  // 0: the RFC 8224 code of the failure (428, 436, 437, 438, 403); else this code (e.g. 603).
  int rejectCode = 0;
};

}  // namespace tg::config
