#pragma once

// Which digest algorithms each account is offered, and in what order (issue 21).
//
// RFC 8760 says to offer one challenge per algorithm, preferred first, and a client to pick the
// first it supports. Many deployed clients (libre-based baresip 1.0, svcrack, older phones)
// read only the first challenge, or (libre) give up on any challenge they cannot compute. So
// the offer is learned per (claimed account, User-Agent): a client that sends a fresh request
// without credentials after a SHA-256-first challenge it never answered is offered MD5 alone
// from then on (logged once).
// A client that answers either challenge keeps the configured order. Per-account lists
// (`accounts.per_account.<name>.algorithms`) override the default list; an account whose list
// has no MD5 is never moved to MD5. The security trade-off is in docs/security.md.
//
// The order depends only on the claimed user name, the User-Agent and what was seen from them,
// never on whether the account exists, so it tells a scanner nothing about the accounts.
//
// Thread-safe: the learned state lives in the store (inline answers); the rest is immutable.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "sip/digest.h"
#include "store/memory_store.h"

namespace tg::auth {

struct AlgorithmPreferenceSettings {
  std::vector<sip::DigestAlgorithm> defaults = {sip::DigestAlgorithm::kSha256,
                                                sip::DigestAlgorithm::kMd5};
  std::map<std::string, std::vector<sip::DigestAlgorithm>, std::less<>> perAccount;
  bool learn = true;
  size_t maxTracked = 100000;  // the cap of its own store, when it is given none
};

// Every algorithm some account may use, the default list's first: what the digest server
// accepts at all.
std::vector<sip::DigestAlgorithm> acceptedAlgorithms(const AlgorithmPreferenceSettings& s);

class AlgorithmPreferences {
 public:
  // The learned state goes to `store` (it must answer inline and outlive this); without one a
  // store of its own, capped at settings.maxTracked. Throws std::invalid_argument for a store
  // that does not answer inline: start-up only.
  AlgorithmPreferences(const base::Clock& clock, AlgorithmPreferenceSettings settings,
                       store::Store* store = nullptr);

  // The configured list of `account` (its own, or the default).
  const std::vector<sip::DigestAlgorithm>& configuredFor(std::string_view account) const;
  bool allows(std::string_view account, sip::DigestAlgorithm alg) const;

  // The order to challenge `account` in, for a client calling itself `userAgent`.
  // `unanswered` says the request carried no credentials for our realm: when a challenge with
  // MD5 after another algorithm is still pending for the pair, the client did not answer it,
  // and MD5 goes first from now on.
  std::vector<sip::DigestAlgorithm> challengeOrder(std::string_view account,
                                                   std::string_view userAgent, bool unanswered);
  // The client answered a challenge (with any algorithm): nothing is pending for it.
  void answered(std::string_view account, std::string_view userAgent);
  // Whether the pair was learned to be offered MD5 alone.
  bool prefersMd5(std::string_view account, std::string_view userAgent);

 private:
  std::string key(std::string_view kind, std::string_view account,
                  std::string_view userAgent) const;

  AlgorithmPreferenceSettings settings_;
  std::unique_ptr<store::MemoryStore> ownStore_;
  store::Store& store_;
};

}  // namespace tg::auth
