#pragma once

// The verification service the gateway holds (one for all workers): the trust anchors, the
// certificate cache and a small pool of fetch threads. A worker runs checkClaims itself, then
// asks verifyCached(); on a miss, fetchAndVerify() fetches x5u on a pool thread and hands the
// final Verification to `done` there: the caller posts it back to its own worker.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "config/identity_config.h"
#include "identity/certificate_cache.h"
#include "identity/certificate_chain.h"
#include "identity/certificate_fetch.h"
#include "identity/passport.h"
#include "identity/verification.h"

namespace tg::identity {

struct IdentityStats {
  uint64_t cacheHits = 0;
  uint64_t fetches = 0;        // x5u fetches started
  uint64_t fetchFailures = 0;  // fetches that gave no certificate chain (436)
  uint64_t queueFull = 0;      // fetches refused because too many were waiting
};

class IdentityVerifier {
 public:
  using Done = std::function<void(Verification)>;

  IdentityVerifier(const config::IdentitySettings& settings,
                   std::shared_ptr<const TrustStore> trust, size_t threads = 2,
                   size_t maxQueued = 256);
  ~IdentityVerifier();
  IdentityVerifier(const IdentityVerifier&) = delete;
  IdentityVerifier& operator=(const IdentityVerifier&) = delete;

  // The final step when x5u's chain is cached; nullopt when it must be fetched.
  std::optional<Verification> verifyCached(const Passport& passport);
  // Fetches x5u, verifies and caches its chain, and calls `done` with the outcome on a pool
  // thread. False (and `done` never called) when too many fetches are waiting.
  bool fetchAndVerify(Passport passport, Done done);

  IdentityStats stats() const;
  const config::IdentitySettings& settings() const { return settings_; }
  size_t cached() const { return cache_.size(); }

 private:
  struct Job {
    Passport passport;
    Done done;
  };
  void work();
  Verification fetch(const Passport& passport);

  const config::IdentitySettings settings_;
  const std::shared_ptr<const TrustStore> trust_;
  const FetchLimits limits_;
  const size_t maxQueued_;
  CertificateCache cache_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;

  std::atomic<uint64_t> cacheHits_{0};
  std::atomic<uint64_t> fetches_{0};
  std::atomic<uint64_t> fetchFailures_{0};
  std::atomic<uint64_t> queueFull_{0};
};

}  // namespace tg::identity
