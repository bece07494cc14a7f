#pragma once

// Remote phones on the public zone: accounts, digest authentication, password policy and
// lockout. Read by accounts_section.cc; used by src/auth/.

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "sip/digest.h"

namespace tg::config {

struct PasswordPolicySettings {
  int minLength = 12;
  int minClasses = 3;           // of lower case, upper case, digits, others
  bool dictionaryCheck = true;  // cracklib dictionary words are refused
  int maxAgeDays = 0;           // 0: passwords never expire
  int warnDays = 14;            // warn this many days before expiry
  bool refuseExpired = false;   // true: an expired password no longer registers
};

// Brute-force lockout. The n-th lock of the same key lasts min(duration * factor^(n-1),
// maxDuration). With perSource, `failures` locks the account for that source only, so one
// attacker cannot lock a user out everywhere; `accountFailures` from all sources together still
// lock the account everywhere (a distributed guess). `sourceFailures` from one source, over any
// accounts, ban the source at the perimeter (rule auth.failures).
struct LockoutSettings {
  int failures = 5;
  std::chrono::seconds window{600};
  std::chrono::seconds duration{900};
  double factor = 2.0;
  std::chrono::seconds maxDuration{86400};
  bool perSource = true;
  int accountFailures = 50;    // 0: never lock an account everywhere (with perSource)
  int sourceFailures = 10;     // 0: never ban
  size_t maxTracked = 100000;  // entries per table; the least recently failed go first
};

struct NonceSettings {
  std::chrono::seconds lifetime{300};  // then stale=true
  // 32+ random bytes shared by restarts and cluster nodes; empty: a random key per process
  // (a restart then answers the phones' next request with stale=true).
  std::string secretFile;
  size_t maxTracked = 65536;  // nonces whose nonce-count is remembered
};

struct AccountSettings {
  PasswordPolicySettings password;
  LockoutSettings lockout;
  NonceSettings nonce;
  // Offered in this order, one WWW-Authenticate each (RFC 8760 §2.4: preferred first).
  std::vector<sip::DigestAlgorithm> algorithms = {sip::DigestAlgorithm::kSha256,
                                                  sip::DigestAlgorithm::kMd5};
  // accounts.per_account.<name>.algorithms: that account's own list, in its order.
  std::map<std::string, std::vector<sip::DigestAlgorithm>, std::less<>> algorithmsByAccount;
  // accounts.learn_algorithms: offer MD5 alone to a (user, User-Agent) that never answered a
  // challenge with another algorithm first (auth/algorithm_preferences.h).
  bool learnAlgorithms = true;
};

enum class PublicAuthMode : uint8_t {
  kGateway,  // trunkguard challenges remote phones against its own account store
  kPbx,      // the PBX challenges; trunkguard counts the failures it answers
};

struct PublicAuth {
  PublicAuthMode mode = PublicAuthMode::kGateway;
  std::string realm = "trunkguard";
};

}  // namespace tg::config
