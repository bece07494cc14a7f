#include "auth/failure_watcher.h"

#include <optional>
#include <utility>

#include "auth/authenticator.h"
#include "sip/auth_header.h"

namespace tg::auth {

FailureWatcher::FailureWatcher(const base::Clock& clock, Lockout& lockout, size_t maxPending,
                               std::chrono::seconds pendingLifetime)
    : clock_(clock), lockout_(lockout), lifetime_(pendingLifetime), pending_(maxPending) {}

FailureWatcher::Verdict FailureWatcher::onRequest(std::string_view transactionKey,
                                                  std::string_view credentials,
                                                  const base::Address& source,
                                                  std::string_view requestUri,
                                                  transport::Zone zone) {
  if (credentials.empty()) return Verdict::kRelay;
  auto parsed = sip::parseCredentials(credentials);
  // Unparsable credentials still count when the PBX refuses them: track under "".
  std::string username =
      parsed && parsed->isDigest() && parsed->username.present ? parsed->username.str() : "";
  if (parsed && parsed->isDigest() && !digestUriMatches(parsed->uri.str(), requestUri)) {
    lockout_.recordFailure(username, source, zone, "digest uri does not match the Request-URI");
    return Verdict::kRefuseUriMismatch;
  }
  const bool locked = !username.empty() && lockout_.isLocked(username, source);
  {
    std::lock_guard lock(mutex_);
    Pending& p = pending_.findOrInsert(std::string(transactionKey));
    p.username = std::move(username);
    p.source = source;
    p.zone = zone;
    p.since = clock_.now();
  }
  return locked ? Verdict::kStripCredentials : Verdict::kRelay;
}

void FailureWatcher::onFinalResponse(std::string_view transactionKey, int status,
                                     std::string_view challenge) {
  std::optional<Pending> p;
  {
    std::lock_guard lock(mutex_);
    const std::string key(transactionKey);
    if (Pending* found = pending_.find(key)) {
      p = std::move(*found);
      pending_.erase(key);
    }
  }
  if (!p) return;
  if (status >= 200 && status < 300) {
    lockout_.recordSuccess(p->username, p->source);
    return;
  }
  if (status == 401 || status == 407) {
    if (!challenge.empty()) {
      auto c = sip::parseChallenge(challenge);
      if (c && c->stale) return;  // the password was right, only the nonce aged
    }
    lockout_.recordFailure(p->username, p->source, p->zone,
                           "the PBX refused the credentials (" + std::to_string(status) + ")");
  } else if (status == 403) {
    lockout_.recordFailure(p->username, p->source, p->zone, "the PBX answered 403 to credentials");
  }
}

void FailureWatcher::expire() {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  pending_.eraseIf(
      [&](const std::string&, const Pending& p) { return now - p.since >= lifetime_; });
}

size_t FailureWatcher::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace tg::auth
