#include "identity/certificate_cache.h"

namespace tg::identity {

std::shared_ptr<const VerifiedChain> CertificateCache::find(const std::string& url,
                                                            Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(url);
  if (it == entries_.end()) return nullptr;
  if (it->second.expires <= now) {
    entries_.erase(it);
    return nullptr;
  }
  return it->second.chain;
}

void CertificateCache::store(const std::string& url, std::shared_ptr<const VerifiedChain> chain,
                             Clock::time_point expires, Clock::time_point now) {
  if (expires <= now || maxEntries_ == 0) return;
  std::lock_guard lock(mutex_);
  if (entries_.find(url) == entries_.end() && entries_.size() >= maxEntries_) makeRoom(now);
  entries_[url] = Entry{std::move(chain), expires};
}

size_t CertificateCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void CertificateCache::makeRoom(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.expires <= now ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() < maxEntries_) return;
  auto first = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.expires < first->second.expires) first = it;
  }
  entries_.erase(first);
}

}  // namespace tg::identity
