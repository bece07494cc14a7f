#pragma once

// Verified x5u certificate chains by URL, shared by the workers (a mutex: a lookup is a hash
// find, far below the ECDSA verify it saves a fetch for). Each entry lives for its answer's
// Cache-Control max-age, at most the configured maximum; a full cache drops the expired entries,
// then the one that expires first.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "identity/certificate_chain.h"

namespace tg::identity {

class CertificateCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CertificateCache(size_t maxEntries) : maxEntries_(maxEntries) {}

  // The chain cached for `url`, when it has not expired at `now`.
  std::shared_ptr<const VerifiedChain> find(const std::string& url, Clock::time_point now);
  // Keeps `chain` for `url` until `expires` (nothing when that is not after `now`).
  void store(const std::string& url, std::shared_ptr<const VerifiedChain> chain,
             Clock::time_point expires, Clock::time_point now);
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<const VerifiedChain> chain;
    Clock::time_point expires;
  };
  void makeRoom(Clock::time_point now);

  const size_t maxEntries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace tg::identity
