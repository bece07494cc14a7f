#include "identity/identity_verifier.h"

#include <algorithm>
#include <ctime>

#include "identity/verifier.h"

namespace tg::identity {
namespace {

FetchLimits limitsOf(const config::IdentitySettings& s) {
  FetchLimits l;
  l.timeout = s.fetchTimeout;
  l.maxBytes = s.maxCertificateBytes;
  l.maxRedirects = s.maxRedirects;
  l.allowPrivate = s.allowPrivateX5u;
  l.caFile = s.fetchCaFile;
  return l;
}

}  // namespace

IdentityVerifier::IdentityVerifier(const config::IdentitySettings& settings,
                                   std::shared_ptr<const TrustStore> trust, size_t threads,
                                   size_t maxQueued)
    : settings_(settings),
      trust_(std::move(trust)),
      limits_(limitsOf(settings)),
      maxQueued_(maxQueued),
      cache_(settings.cacheEntries) {
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i)
    threads_.emplace_back([this] { work(); });
}

IdentityVerifier::~IdentityVerifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

std::optional<Verification> IdentityVerifier::verifyCached(const Passport& passport) {
  auto chain = cache_.find(passport.x5u, CertificateCache::Clock::now());
  if (!chain) return std::nullopt;
  cacheHits_.fetch_add(1, std::memory_order_relaxed);
  return checkSignature(passport, sip::Result<VerifiedChain>(*chain));
}

bool IdentityVerifier::fetchAndVerify(Passport passport, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= maxQueued_) {
      queueFull_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back(Job{std::move(passport), std::move(done)});
  }
  wake_.notify_one();
  return true;
}

IdentityStats IdentityVerifier::stats() const {
  IdentityStats s;
  s.cacheHits = cacheHits_.load(std::memory_order_relaxed);
  s.fetches = fetches_.load(std::memory_order_relaxed);
  s.fetchFailures = fetchFailures_.load(std::memory_order_relaxed);
  s.queueFull = queueFull_.load(std::memory_order_relaxed);
  return s;
}

void IdentityVerifier::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // queued calls are parked on workers, whose deadlines answer them
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job.done(fetch(job.passport));
  }
}

Verification IdentityVerifier::fetch(const Passport& passport) {
  // Another call may have fetched the same certificate while this one waited in the queue.
  if (auto cached = verifyCached(passport)) return *cached;
  fetches_.fetch_add(1, std::memory_order_relaxed);
  FetchedCertificate fetched = fetchCertificate(passport.x5u, limits_);
  if (!fetched.ok()) {
    fetchFailures_.fetch_add(1, std::memory_order_relaxed);
    return badInfo(passport, fetched.error);
  }
  sip::Result<VerifiedChain> chain = verifyChain(fetched.body, *trust_, std::time(nullptr));
  if (chain) {
    const auto now = CertificateCache::Clock::now();
    const std::chrono::seconds keep =
        std::min(fetched.maxAge.value_or(settings_.cacheMaxAge), settings_.cacheMaxAge);
    cache_.store(passport.x5u, std::make_shared<const VerifiedChain>(*chain), now + keep, now);
  }
  return checkSignature(passport, chain);
}

}  // namespace tg::identity
