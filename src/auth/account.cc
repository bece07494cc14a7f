#include "auth/account.h"

#include <algorithm>

namespace tg::auth {

const std::string& Account::ha1For(sip::DigestAlgorithm alg) const {
  static const std::string kNone;
  switch (alg) {
    case sip::DigestAlgorithm::kMd5:
      return ha1Md5;
    case sip::DigestAlgorithm::kSha256:
      return ha1Sha256;
    case sip::DigestAlgorithm::kSha512_256:
      return ha1Sha512_256;
    default:
      return kNone;
  }
}

bool Account::allowsSource(const base::Address& source) const {
  if (allowFrom.empty()) return true;
  return std::any_of(allowFrom.begin(), allowFrom.end(),
                     [&](const config::Cidr& c) { return c.contains(source); });
}

bool Account::allowsCallerId(std::string_view callerId) const {
  if (callerIds.empty()) return callerId == username;
  return std::find(callerIds.begin(), callerIds.end(), callerId) != callerIds.end();
}

std::optional<Account> Account::fromRecord(const db::AccountRecord& r, std::string* error) {
  Account a;
  a.username = r.username;
  a.realm = r.realm;
  a.ha1Md5 = r.ha1Md5;
  a.ha1Sha256 = r.ha1Sha256;
  a.ha1Sha512_256 = r.ha1Sha512_256;
  for (const std::string& text : r.allowedNetworks) {
    std::string why;
    auto cidr = config::Cidr::parse(text, &why);
    if (!cidr) {
      if (error != nullptr) *error = "account '" + r.username + "': allowed network " + why;
      return std::nullopt;
    }
    a.allowFrom.push_back(std::move(*cidr));
  }
  a.callerIds = r.allowedCallerIds;
  a.maxRegistrations = r.maxRegistrations;
  a.enabled = r.enabled;
  a.passwordChanged = db::fromEpochMillis(r.passwordChangedMs);
  return a;
}

db::AccountRecord hashPassword(std::string_view username, std::string_view realm,
                               std::string_view password, int64_t nowMs) {
  db::AccountRecord r;
  r.username = std::string(username);
  r.realm = std::string(realm);
  r.ha1Md5 = sip::ha1(sip::DigestAlgorithm::kMd5, username, realm, password);
  r.ha1Sha256 = sip::ha1(sip::DigestAlgorithm::kSha256, username, realm, password);
  r.ha1Sha512_256 = sip::ha1(sip::DigestAlgorithm::kSha512_256, username, realm, password);
  r.createdMs = nowMs;
  r.passwordChangedMs = nowMs;
  return r;
}

std::shared_ptr<const AccountDirectory::Map> AccountDirectory::snapshot() const {
  std::lock_guard lock(mutex_);
  return accounts_;
}

const Account* AccountDirectory::find(std::string_view username,
                                      std::shared_ptr<const Map>& keep) const {
  keep = snapshot();
  auto it = keep->find(username);
  return it == keep->end() ? nullptr : &it->second;
}

void AccountDirectory::replace(std::vector<Account> accounts) {
  auto map = std::make_shared<Map>();
  for (Account& a : accounts) {
    std::string name = a.username;
    map->insert_or_assign(std::move(name), std::move(a));
  }
  std::lock_guard lock(mutex_);
  accounts_ = std::move(map);
}

std::vector<std::string> AccountDirectory::load(db::AccountStore& store) {
  std::vector<std::string> warnings;
  std::vector<Account> accounts;
  for (const db::AccountRecord& r : store.list()) {
    std::string why;
    if (auto a = Account::fromRecord(r, &why)) {
      accounts.push_back(std::move(*a));
    } else {
      warnings.push_back(why);
    }
  }
  if (!store.lastError().empty()) warnings.push_back(store.lastError());
  replace(std::move(accounts));
  return warnings;
}

}  // namespace tg::auth
