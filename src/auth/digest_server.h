#pragma once

// The server side of SIP digest authentication (RFC 3261 §22.4, RFC 7616, RFC 8760): builds
// challenges and checks credentials against a stored HA1. It never sees a password.
//
// Nonces are stateless: hex(time | 8 random bytes | HMAC-SHA256(key, time | random | realm |
// source IP)[:16]). Any node holding the key (nonce.secret_file) accepts them, a forged or
// another source's nonce fails the MAC, and one older than nonce.lifetime earns stale=true when
// the response is otherwise right. Replays are refused by nonce-count: the highest nc seen per
// nonce is kept in the state store ("nonce:<nonce>", expiring with the nonce's lifetime,
// raised by compare-and-set so that two workers cannot both accept one nc); a nonce the store
// may have forgotten (after it evicted keys, or from before a restart) is answered stale=true
// rather than trusted, so eviction can never re-open a replay.
//
// Only qop=auth is offered and accepted (qop-less RFC 2069 answers have no nonce-count, so no
// replay protection). The -sess variants are not offered.
//
// Thread-safe: the nonce counts live in the store; everything else is immutable or atomic.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/clock.h"
#include "config/accounts_config.h"
#include "sip/auth_header.h"
#include "sip/digest.h"
#include "store/memory_store.h"

namespace tg::auth {

struct DigestServerOptions {
  std::string realm = "trunkguard";
  std::vector<sip::DigestAlgorithm> algorithms = {sip::DigestAlgorithm::kSha256,
                                                  sip::DigestAlgorithm::kMd5};
  std::chrono::seconds nonceLifetime{300};
  std::string key;                  // HMAC key bytes; empty: 32 random bytes for this process
  size_t maxTrackedNonces = 65536;  // the cap of its own store, when it is given none
};

// Reads the nonce key from `path` (at least 32 bytes; the whole file is the key). nullopt with
// *error on failure.
std::optional<std::string> loadNonceKey(const std::string& path, std::string* error);

enum class DigestCheck : uint8_t {
  kOk,
  kMalformed,         // not Digest, or required parameters missing / bad nc: 400
  kWrongRealm,        // a realm we do not serve: challenge again
  kUnknownAlgorithm,  // an algorithm not offered (AKAv1-MD5, -sess, ...): challenge again
  kBadQop,            // qop absent or not auth: challenge again
  kInvalidNonce,      // not ours, forged, or another source's: challenge again
  kWrongResponse,     // the password (HA1) does not match: a failure
  kStale,             // right response on an expired or forgotten nonce: stale=true
  kReplay,            // right response, nonce-count not above the last one: stale=true
};
std::string_view checkName(DigestCheck c);

// What precheck() found out about credentials before the HA1 is looked up.
struct DigestPrecheck {
  DigestCheck status = DigestCheck::kMalformed;
  sip::DigestAlgorithm algorithm = sip::DigestAlgorithm::kMd5;
  bool expired = false;  // the nonce is past its lifetime (decided after the response check)
};

class DigestServer {
 public:
  // The store keys of nonce counts ("nonce:<nonce>"), a key family of their own.
  static constexpr std::string_view kNonceKeyPrefix = "nonce:";

  // The nonce counts go to `store` (the process's shared one; it must outlive this and answer
  // inline); without one the server keeps them in a store of its own, capped at
  // options.maxTrackedNonces. Throws std::invalid_argument for a store that does not answer
  // inline: start-up only.
  DigestServer(const base::Clock& clock, DigestServerOptions options,
               store::Store* store = nullptr);

  const std::string& realm() const { return options_.realm; }
  const std::vector<sip::DigestAlgorithm>& algorithms() const { return options_.algorithms; }

  // WWW-Authenticate / Proxy-Authenticate values, one per algorithm in preference order, each
  // with its own fresh nonce for `source`. Byte-identical from call to call except the nonces.
  std::vector<std::string> challenges(const base::Address& source, bool stale = false) const;
  // The same in the given order (a subset of algorithms(), as AlgorithmPreferences picks it).
  std::vector<std::string> challenges(const base::Address& source, bool stale,
                                      const std::vector<sip::DigestAlgorithm>& order) const;
  std::string makeNonce(const base::Address& source) const;

  // Checks everything that does not need the account: scheme, parameters, realm, algorithm,
  // qop, and the nonce's MAC and age.
  DigestPrecheck precheck(const sip::Credentials& credentials, const base::Address& source) const;
  // Checks the response against `ha1` (for pre.algorithm; for an unknown user pass
  // dummyHa1(), so the work and the answer are the same), then the nonce's age and count.
  // Records the nonce-count only when everything holds.
  DigestCheck verify(const sip::Credentials& credentials, std::string_view method,
                     const DigestPrecheck& pre, std::string_view ha1);

  // Whether the response= of qop=auth credentials is right for `ha1` (constant-time).
  bool responseMatches(const sip::Credentials& credentials, std::string_view method,
                       sip::DigestAlgorithm alg, std::string_view ha1) const;

  // A fixed random HA1 of the right length, for unknown users.
  const std::string& dummyHa1(sip::DigestAlgorithm alg) const;

  // Drops nonce-counts of nonces past their lifetime from its own store (housekeeping; a
  // shared store is swept by its owner).
  void expire();
  // The nonce counts in its own store (0 when it was given the shared one).
  size_t trackedNonces() const;

 private:
  struct NonceParts {
    int64_t issuedS = 0;
    std::string_view salt;  // hex
  };
  std::string mac(std::string_view timeHex, std::string_view saltHex,
                  const base::Address& source) const;
  std::optional<NonceParts> openNonce(std::string_view nonce, const base::Address& source) const;
  // kOk after recording nc; kReplay or kStale otherwise.
  DigestCheck recordNonceCount(std::string_view nonce, int64_t issuedS, uint32_t nc);

  const base::Clock& clock_;
  DigestServerOptions options_;
  std::string dummyMd5_;
  std::string dummySha_;

  std::unique_ptr<store::MemoryStore> ownStore_;  // when given no store
  store::Store& store_;
  // Nonces issued at or before this (epoch s) may have been forgotten: their counts are
  // unknown. Raised when the store is seen to have evicted keys.
  std::atomic<int64_t> forgottenUpTo_{0};
  std::atomic<uint64_t> evictionsSeen_{0};
};

}  // namespace tg::auth
