#include "audit/provider_identity_check.h"

#include <sys/stat.h>

#include <chrono>
#include <exception>

#include "db/cdr_history.h"

namespace tg::audit {
namespace {

std::string share(int64_t part, int64_t whole) {
  return std::to_string(part) + " (" + std::to_string(whole == 0 ? 0 : part * 100 / whole) + "%)";
}

}  // namespace

void checkShakenSigning(const std::string& databasePath, const std::string& provider, int days,
                        base::SystemTime now, const std::string& where, AuditResult& result) {
  const std::string window = "the last " + std::to_string(days) + " days";
  struct stat st {};
  if (::stat(databasePath.c_str(), &st) != 0) {
    result.add("PRV-SHAKEN-SHARE", where, 0,
               "no CDR database at " + databasePath + ": signing not judged");
    return;
  }
  std::vector<db::IdentityCount> counts;
  try {
    counts =
        db::countInboundIdentitySince(databasePath, provider, now - std::chrono::hours(24) * days);
  } catch (const std::exception& e) {
    result.errors.push_back(e.what());
    return;
  }
  int64_t total = 0, unverified = 0, passed = 0, failed = 0, noIdentity = 0;
  int64_t attested[3] = {0, 0, 0};  // A, B, C among the passed
  for (const db::IdentityCount& c : counts) {
    total += c.calls;
    if (c.verstat.empty()) {
      unverified += c.calls;
    } else if (c.verstat == "TN-Validation-Passed") {
      passed += c.calls;
      if (c.attestation.size() == 1 && c.attestation[0] >= 'A' && c.attestation[0] <= 'C') {
        attested[c.attestation[0] - 'A'] += c.calls;
      }
    } else if (c.verstat == "TN-Validation-Failed") {
      failed += c.calls;
    } else {
      noIdentity += c.calls;  // No-TN-Validation: no Identity header
    }
  }
  if (total == 0) {
    result.add("PRV-SHAKEN-SHARE", where, 0,
               "no inbound call from this provider in " + window + ": signing not judged");
    return;
  }
  const int64_t verified = total - unverified;
  std::string evidence = std::to_string(total) + " inbound calls in " + window;
  if (verified > 0) {
    evidence += ": signed and verified " + share(passed, verified) + " (attestation A " +
                std::to_string(attested[0]) + ", B " + std::to_string(attested[1]) + ", C " +
                std::to_string(attested[2]) + "), signed but failed verification " +
                share(failed, verified) + ", unsigned " + share(noIdentity, verified);
  }
  if (unverified > 0) {
    evidence += (verified > 0 ? "; " : ": ") + std::to_string(unverified) +
                " not verified (identity verification was off)";
  }
  result.add("PRV-SHAKEN-SHARE", where, 0, evidence);
  if (verified > 0 && passed + failed == 0) {
    result.add("PRV-SHAKEN-UNSIGNED", where, 0,
               "none of its " + std::to_string(verified) + " verified inbound calls in " + window +
                   " carried an Identity header");
  }
}

}  // namespace tg::audit
