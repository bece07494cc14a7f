#include "app/admin_api/sessions.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "base/random.h"

namespace tg::app::admin_api {

SessionTable::SessionTable(std::chrono::seconds idle, std::chrono::seconds max, size_t capacity)
    : idle_(idle), max_(max), capacity_(std::max<size_t>(1, capacity)) {}

bool SessionTable::expired(const Session& s, int64_t nowMs) const {
  return nowMs - s.lastSeenMs >= idle_.count() * 1000 || nowMs - s.createdMs >= max_.count() * 1000;
}

Session SessionTable::create(std::string admin, int64_t nowMs) {
  Session s{base::randomHex(32), base::randomHex(32), std::move(admin), nowMs, nowMs};
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& entry) { return expired(entry.second, nowMs); });
  if (sessions_.size() >= capacity_) {
    auto oldest = std::min_element(
        sessions_.begin(), sessions_.end(),
        [](const auto& a, const auto& b) { return a.second.createdMs < b.second.createdMs; });
    sessions_.erase(oldest);
  }
  sessions_.emplace(s.id, s);
  return s;
}

std::optional<Session> SessionTable::use(std::string_view id, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  if (expired(it->second, nowMs)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.lastSeenMs = nowMs;
  return it->second;
}

bool SessionTable::remove(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sessions_.erase(std::string(id)) > 0;
}

size_t SessionTable::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool sameSecret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tg::app::admin_api
