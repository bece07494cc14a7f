#pragma once

// A MaxMind-format country database (GeoLite2-Country, GeoIP2-Country or compatible .mmdb),
// for guard.acl.countries. Opened once at start or reload and shared read-only by the workers:
// libmaxminddb lookups on an open database are thread-safe and allocation-free.

#include <memory>
#include <string>
#include <string_view>

#include "base/address.h"

struct MMDB_s;

namespace tg::guard::acl {

class CountryDb {
 public:
  // nullptr when the file cannot be opened as a MaxMind database; *error then says why.
  static std::shared_ptr<const CountryDb> open(const std::string& path, std::string* error);
  ~CountryDb();
  CountryDb(const CountryDb&) = delete;
  CountryDb& operator=(const CountryDb&) = delete;

  // The ISO 3166-1 alpha-2 code of the address's country ("DE"), falling back to the
  // registered country; empty when the database does not know the address. The view points
  // into the database and lives as long as it.
  std::string_view countryOf(const base::Address& address) const;

 private:
  CountryDb();
  std::unique_ptr<MMDB_s> db_;
};

}  // namespace tg::guard::acl
