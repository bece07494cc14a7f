#include "guard/acl/country_db.h"

#include <maxminddb.h>
#include <netinet/in.h>

#include <cstring>

namespace tg::guard::acl {

CountryDb::CountryDb() : db_(std::make_unique<MMDB_s>()) {}

CountryDb::~CountryDb() {
  if (db_ != nullptr) MMDB_close(db_.get());
}

std::shared_ptr<const CountryDb> CountryDb::open(const std::string& path, std::string* error) {
  std::shared_ptr<CountryDb> db(new CountryDb());
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db->db_.get());
  if (status != MMDB_SUCCESS) {
    if (error != nullptr) {
      *error = "cannot open country database '" + path + "': " + MMDB_strerror(status);
    }
    db->db_.reset();  // nothing to close
    return nullptr;
  }
  return db;
}

std::string_view CountryDb::countryOf(const base::Address& address) const {
  if (db_ == nullptr || !address.valid()) return {};
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; look them up as IPv4, which
  // every database holds, rather than rely on the database aliasing the mapped range.
  sockaddr_in v4{};
  const sockaddr* sa = address.sockaddrPtr();
  if (address.isV6()) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, v6->sin6_addr.s6_addr + 12, 4);
      sa = reinterpret_cast<const sockaddr*>(&v4);
    }
  }
  int mmdbError = MMDB_SUCCESS;
  MMDB_lookup_result_s result = MMDB_lookup_sockaddr(db_.get(), sa, &mmdbError);
  if (mmdbError != MMDB_SUCCESS || !result.found_entry) return {};
  for (const char* field : {"country", "registered_country"}) {
    MMDB_entry_data_s data{};
    if (MMDB_get_value(&result.entry, &data, field, "iso_code", nullptr) == MMDB_SUCCESS &&
        data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
      return {data.utf8_string, data.data_size};
    }
  }
  return {};
}

}  // namespace tg::guard::acl
