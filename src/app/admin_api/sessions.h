#pragma once

// Admin API sessions: a login makes one, named by 256 random bits (the session cookie) and
// carrying its own CSRF token (sent back in X-CSRF-Token on every mutating request). A session
// ends after `idle` without a request and `max` after its login, whichever comes first; logout
// ends it at once. The table is capped: a new login past the cap ends the oldest session.
//
// Thread-safe (one mutex): the API's threads share it. Times are ms on a monotonic clock, given
// by the caller so tests choose them.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tg::app::admin_api {

struct Session {
  std::string id;    // the cookie value
  std::string csrf;  // what X-CSRF-Token must carry
  std::string admin;
  int64_t createdMs = 0;
  int64_t lastSeenMs = 0;
};

class SessionTable {
 public:
  SessionTable(std::chrono::seconds idle, std::chrono::seconds max, size_t capacity = 256);

  Session create(std::string admin, int64_t nowMs);
  // The live session with this id, its idle time restarted; nullopt (and forgotten) when it is
  // unknown or expired.
  std::optional<Session> use(std::string_view id, int64_t nowMs);
  // Whether it existed.
  bool remove(std::string_view id);
  size_t size() const;

  std::chrono::seconds idleTimeout() const { return idle_; }
  std::chrono::seconds maxAge() const { return max_; }

 private:
  bool expired(const Session& s, int64_t nowMs) const;

  const std::chrono::seconds idle_;
  const std::chrono::seconds max_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;
};

// Compares two secrets in time that does not depend on where they differ.
bool sameSecret(std::string_view a, std::string_view b);

}  // namespace tg::app::admin_api
