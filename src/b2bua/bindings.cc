#include "b2bua/bindings.h"

#include <algorithm>

#include "base/random.h"

namespace tg::b2bua {
namespace {

bool pending(const Binding& b) { return b.expires == base::TimePoint{}; }

}  // namespace

Bindings::Bindings(const base::Clock& clock, size_t maxPending,
                   std::chrono::seconds pendingLifetime)
    : clock_(clock), maxPending_(maxPending), pendingLifetime_(pendingLifetime) {}

Bindings::Prepared Bindings::prepare(std::string_view account, std::string_view phoneCallId,
                                     std::string_view phoneContact,
                                     const transport::SendTarget& phone, int maxRegistrations,
                                     const std::function<std::string()>& newCallId, Binding* out) {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  if (now - lastExpiry_ >= std::chrono::seconds(5)) expireLocked(now);

  Binding* found = nullptr;
  if (auto it = byPhoneCallId_.find(std::string(phoneCallId)); it != byPhoneCallId_.end()) {
    Binding& b = byKey_.at(it->second);
    if (b.account == account) found = &b;
  }
  size_t others = 0;
  if (auto it = byAccount_.find(std::string(account)); it != byAccount_.end()) {
    for (const std::string& key : it->second) {
      Binding& b = byKey_.at(key);
      if (found == nullptr && b.phoneContact == phoneContact) found = &b;
      if (&b != found && b.active(now)) ++others;
    }
  }
  if (found == nullptr) {
    if (maxRegistrations > 0 && others >= static_cast<size_t>(maxRegistrations)) {
      return Prepared::kTooMany;
    }
    if (pending_ >= maxPending_) return Prepared::kFull;
    Binding b;
    b.key = "tg" + base::randomHex(8);
    b.account = std::string(account);
    const std::string key = b.key;
    found = &byKey_.emplace(key, std::move(b)).first->second;
    byAccount_[found->account].push_back(key);
    ++pending_;
  } else if (maxRegistrations > 0 && others >= static_cast<size_t>(maxRegistrations) + 1) {
    return Prepared::kTooMany;  // the limit was lowered: refreshes beyond it are refused too
  }
  if (found->phoneCallId != phoneCallId) {
    // A new registration session of the phone (it restarted): a new one at the PBX too, from
    // this worker, so that the PBX's answers come back to the worker that waits for them.
    if (!found->phoneCallId.empty()) byPhoneCallId_.erase(found->phoneCallId);
    found->phoneCallId = std::string(phoneCallId);
    byPhoneCallId_[found->phoneCallId] = found->key;
    found->pbxCallId = newCallId();
    found->pbxCseq = 0;
  }
  found->phoneContact = std::string(phoneContact);
  found->phone = phone;
  found->touched = now;
  ++found->pbxCseq;
  *out = *found;
  return Prepared::kOk;
}

void Bindings::commit(std::string_view key, std::chrono::seconds expires) {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto it = byKey_.find(std::string(key));
  if (it == byKey_.end()) return;
  if (expires.count() <= 0) {
    eraseLocked(it->first);
    return;
  }
  if (pending(it->second)) --pending_;
  it->second.expires = now + expires;
}

void Bindings::remove(std::string_view key) {
  std::lock_guard lock(mutex_);
  eraseLocked(std::string(key));
}

std::optional<Binding> Bindings::byKey(std::string_view key) const {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto it = byKey_.find(std::string(key));
  if (it == byKey_.end() || !it->second.active(now)) return std::nullopt;
  return it->second;
}

std::optional<Binding> Bindings::latestFor(std::string_view account) const {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto it = byAccount_.find(std::string(account));
  if (it == byAccount_.end()) return std::nullopt;
  const Binding* best = nullptr;
  for (const std::string& key : it->second) {
    const Binding& b = byKey_.at(key);
    if (b.active(now) && (best == nullptr || b.touched > best->touched)) best = &b;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::vector<Binding> Bindings::activeFor(std::string_view account) const {
  const base::TimePoint now = clock_.now();
  std::vector<Binding> out;
  std::lock_guard lock(mutex_);
  auto it = byAccount_.find(std::string(account));
  if (it == byAccount_.end()) return out;
  for (const std::string& key : it->second) {
    const Binding& b = byKey_.at(key);
    if (b.active(now)) out.push_back(b);
  }
  return out;
}

bool Bindings::registeredFrom(std::string_view account, const base::Address& source) const {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  auto it = byAccount_.find(std::string(account));
  if (it == byAccount_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const std::string& key) {
    const Binding& b = byKey_.at(key);
    return b.active(now) && b.phone.address.sameIp(source);
  });
}

void Bindings::expire() {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  expireLocked(now);
}

size_t Bindings::size() const {
  std::lock_guard lock(mutex_);
  return byKey_.size();
}

size_t Bindings::activeCount() const {
  const base::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(byKey_.begin(), byKey_.end(),
                                           [&](const auto& e) { return e.second.active(now); }));
}

void Bindings::expireLocked(base::TimePoint now) {
  lastExpiry_ = now;
  std::vector<std::string> gone;
  for (const auto& [key, b] : byKey_) {
    if (pending(b) ? now - b.touched >= pendingLifetime_ : b.expires <= now) gone.push_back(key);
  }
  for (const std::string& key : gone) eraseLocked(key);
}

void Bindings::eraseLocked(const std::string& key) {
  auto it = byKey_.find(key);
  if (it == byKey_.end()) return;
  const Binding& b = it->second;
  if (pending(b)) --pending_;
  if (auto p = byPhoneCallId_.find(b.phoneCallId); p != byPhoneCallId_.end() && p->second == key) {
    byPhoneCallId_.erase(p);
  }
  if (auto a = byAccount_.find(b.account); a != byAccount_.end()) {
    std::erase(a->second, key);
    if (a->second.empty()) byAccount_.erase(a);
  }
  byKey_.erase(it);
}

}  // namespace tg::b2bua
