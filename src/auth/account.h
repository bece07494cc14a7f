#pragma once

// Accounts as the message path reads them: an immutable snapshot of the accounts table
// (db::AccountStore), swapped whole when the table changes, so workers never lock for a lookup
// beyond copying one shared pointer.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/clock.h"
#include "config/cidr.h"
#include "db/account_store.h"
#include "sip/digest.h"

namespace tg::auth {

struct Account {
  std::string username;
  std::string realm;
  std::string ha1Md5;
  std::string ha1Sha256;
  std::string ha1Sha512_256;
  std::vector<config::Cidr> allowFrom;  // empty: any source
  std::vector<std::string> callerIds;   // empty: the username only
  int maxRegistrations = 1;
  bool enabled = true;
  base::SystemTime passwordChanged{};

  // The stored HA1 for a non-session algorithm; "" for the -sess variants.
  const std::string& ha1For(sip::DigestAlgorithm alg) const;
  bool allowsSource(const base::Address& source) const;
  bool allowsCallerId(std::string_view callerId) const;

  // nullopt with *error when a stored network does not parse.
  static std::optional<Account> fromRecord(const db::AccountRecord& r, std::string* error);
};

// The record for a new password: one HA1 per algorithm, the password itself is not kept.
// Fills username, realm, the HA1s and passwordChangedMs; the rest keeps its defaults.
db::AccountRecord hashPassword(std::string_view username, std::string_view realm,
                               std::string_view password, int64_t nowMs);

class AccountDirectory {
 public:
  using Map = std::map<std::string, Account, std::less<>>;

  // The current accounts; cheap (one shared pointer copy under a short lock).
  std::shared_ptr<const Map> snapshot() const;
  // The account, or nullptr. The pointer is valid as long as the snapshot it came from: hold
  // `keep` while using it.
  const Account* find(std::string_view username, std::shared_ptr<const Map>& keep) const;

  void replace(std::vector<Account> accounts);
  // Loads every account from the store; records that fail to parse are skipped and named in
  // the returned warnings.
  std::vector<std::string> load(db::AccountStore& store);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Map> accounts_ = std::make_shared<Map>();
};

}  // namespace tg::auth
