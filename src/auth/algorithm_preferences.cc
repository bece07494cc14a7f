#include "auth/algorithm_preferences.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "base/log.h"

namespace tg::auth {
namespace {

using namespace std::chrono_literals;

// A challenge is "pending" until answered; a client that comes back within this time without
// answering did not understand it. Longer than any client's registration retry back-off.
constexpr base::Duration kPendingTtl = 2h;
// A learned MD5-first preference is kept this long after it was learned.
constexpr base::Duration kLearnedTtl = 24h * 30;
// User-Agent text is attacker-chosen: only its start becomes part of a key.
constexpr size_t kUserAgentKeyChars = 96;

std::unique_ptr<store::MemoryStore> ownStoreUnless(store::Store* given, const base::Clock& clock,
                                                   size_t cap) {
  if (given != nullptr) return nullptr;
  return std::make_unique<store::MemoryStore>(
      clock, store::MemoryStoreOptions{.maxKeys = std::max<size_t>(1, cap), .shards = 1});
}

bool contains(const std::vector<sip::DigestAlgorithm>& list, sip::DigestAlgorithm alg) {
  return std::find(list.begin(), list.end(), alg) != list.end();
}

}  // namespace

std::vector<sip::DigestAlgorithm> acceptedAlgorithms(const AlgorithmPreferenceSettings& s) {
  std::vector<sip::DigestAlgorithm> out = s.defaults;
  for (const auto& [name, list] : s.perAccount) {
    for (const sip::DigestAlgorithm alg : list) {
      if (!contains(out, alg)) out.push_back(alg);
    }
  }
  return out;
}

AlgorithmPreferences::AlgorithmPreferences(const base::Clock& clock,
                                           AlgorithmPreferenceSettings settings,
                                           store::Store* store)
    : settings_(std::move(settings)),
      ownStore_(ownStoreUnless(store, clock, settings_.maxTracked)),
      store_(store != nullptr ? *store : *ownStore_) {
  if (!store_.completesInline()) {
    throw std::invalid_argument(
        "the digest algorithm preferences need a store that answers inline");
  }
  if (settings_.defaults.empty()) settings_.defaults = {sip::DigestAlgorithm::kSha256};
}

const std::vector<sip::DigestAlgorithm>& AlgorithmPreferences::configuredFor(
    std::string_view account) const {
  const auto it = settings_.perAccount.find(account);
  return it != settings_.perAccount.end() && !it->second.empty() ? it->second : settings_.defaults;
}

bool AlgorithmPreferences::allows(std::string_view account, sip::DigestAlgorithm alg) const {
  return contains(configuredFor(account), alg);
}

std::string AlgorithmPreferences::key(std::string_view kind, std::string_view account,
                                      std::string_view userAgent) const {
  std::string k;
  k.reserve(16 + account.size() + kUserAgentKeyChars);
  k.append("digestalg:").append(kind).push_back(':');
  k.append(account).push_back('\n');  // neither part can hold a line break
  k.append(userAgent.substr(0, kUserAgentKeyChars));
  return k;
}

bool AlgorithmPreferences::prefersMd5(std::string_view account, std::string_view userAgent) {
  const std::string k = key("md5first", account, userAgent);
  return store::answerNow<std::optional<std::string>>(
             [&](store::Done<std::optional<std::string>> d) { store_.get(k, std::move(d)); })
      .has_value();
}

std::vector<sip::DigestAlgorithm> AlgorithmPreferences::challengeOrder(std::string_view account,
                                                                       std::string_view userAgent,
                                                                       bool unanswered) {
  const std::vector<sip::DigestAlgorithm>& order = configuredFor(account);
  const auto md5 = std::find(order.begin(), order.end(), sip::DigestAlgorithm::kMd5);
  // Nothing to learn: learning is off, MD5 is not allowed, or it already comes first.
  if (!settings_.learn || md5 == order.end() || md5 == order.begin()) return order;
  // MD5 alone, not merely first: libre (baresip 1.0) gives up on any challenge it cannot
  // compute, wherever it stands in the list.
  const std::vector<sip::DigestAlgorithm> md5Only = {sip::DigestAlgorithm::kMd5};
  if (prefersMd5(account, userAgent)) return md5Only;
  if (!unanswered) return order;  // a stale nonce or a wrong password: it does answer
  const std::string pending = key("pending", account, userAgent);
  const bool wasPending =
      store::answerNow<bool>([&](store::Done<bool> d) { store_.erase(pending, std::move(d)); });
  if (wasPending) {
    store_.put(key("md5first", account, userAgent), "1", kLearnedTtl);
    TG_LOG(kGuard, warn,
           "digest: '{}' with User-Agent '{}' never answered a {}-first challenge; offering it "
           "MD5 alone from now on",
           account, userAgent.substr(0, kUserAgentKeyChars), sip::name(order.front()));
    return md5Only;
  }
  store_.put(pending, "1", kPendingTtl);
  return order;
}

void AlgorithmPreferences::answered(std::string_view account, std::string_view userAgent) {
  if (!settings_.learn) return;
  store_.erase(key("pending", account, userAgent), {});
}

}  // namespace tg::auth
