#pragma once

// The source check that runs before parsing (guard.acl): one trie lookup per list, no
// allocation, silent drop. Per zone: the deny list wins; then the pbx zone admits only
// pbx.allowed_sources and the trunk zone only its providers' allowed_sources; then a non-empty
// allow list must hold the source; then, in the public zone, the country filter. Built once
// per config snapshot and shared read-only by the workers.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "config/config.h"
#include "guard/acl/country_db.h"
#include "guard/common/cidr_trie.h"
#include "transport/transport.h"

namespace tg::guard::acl {

struct AclVerdict {
  bool allowed = true;
  // Denied by a rule of guard.acl while it runs in shadow mode (enforce: false): let through,
  // but record the event. The peer networks of the pbx and trunk zones are always enforced.
  bool shadow = false;
  std::string_view rule;    // "acl.deny", "acl.not_allowed", "acl.country"
  std::string_view reason;  // static text for the event
};

class ZoneAcl {
 public:
  // `countries` is the opened guard.acl.countries.database (nullptr: no country filter).
  explicit ZoneAcl(const config::Config& config,
                   std::shared_ptr<const CountryDb> countries = nullptr);
  // Opens the country database the config names, if any. nullptr with *error when it cannot.
  static std::unique_ptr<ZoneAcl> create(const config::Config& config, std::string* error);

  AclVerdict check(transport::Zone zone, const base::Address& source) const;
  bool allowed(transport::Zone zone, const base::Address& source) const {
    return check(zone, source).allowed;
  }

 private:
  struct ZoneLists {
    CidrTrie<uint8_t> deny;
    CidrTrie<uint8_t> allow;
    CidrTrie<uint8_t> peers;  // pbx / providers' networks
    bool restrictToPeers = false;
  };
  static void fill(CidrTrie<uint8_t>& trie, const std::vector<config::Cidr>& cidrs);
  static uint16_t codeOf(std::string_view iso);
  AclVerdict denied(std::string_view rule, std::string_view reason) const;

  bool enabled_;
  bool enforce_;
  std::array<ZoneLists, 3> zones_;
  std::shared_ptr<const CountryDb> countries_;
  std::vector<uint16_t> allowCountries_;  // two letters as one number; sorted
  std::vector<uint16_t> denyCountries_;
  bool denyUnknownCountry_ = false;
};

}  // namespace tg::guard::acl
