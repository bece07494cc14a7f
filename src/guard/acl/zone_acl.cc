#include "guard/acl/zone_acl.h"

#include <algorithm>
#include <cctype>

namespace tg::guard::acl {
namespace {

size_t zoneIndex(transport::Zone z) { return static_cast<size_t>(z) % 3; }

}  // namespace

void ZoneAcl::fill(CidrTrie<uint8_t>& trie, const std::vector<config::Cidr>& cidrs) {
  for (const config::Cidr& c : cidrs) trie.insert(c.network, c.prefixLength, 1);
}

uint16_t ZoneAcl::codeOf(std::string_view iso) {
  if (iso.size() != 2) return 0;
  const auto up = [](char c) {
    return static_cast<uint16_t>(std::toupper(static_cast<unsigned char>(c)));
  };
  return static_cast<uint16_t>(up(iso[0]) << 8 | up(iso[1]));
}

ZoneAcl::ZoneAcl(const config::Config& config, std::shared_ptr<const CountryDb> countries)
    : enabled_(config.guard.acl.enabled), enforce_(config.guard.acl.enforce) {
  const config::AclSettings& acl = config.guard.acl;
  ZoneLists& pbx = zones_[zoneIndex(transport::Zone::kPbx)];
  ZoneLists& trunk = zones_[zoneIndex(transport::Zone::kTrunk)];
  ZoneLists& pub = zones_[zoneIndex(transport::Zone::kPublic)];
  pbx.restrictToPeers = true;
  fill(pbx.peers, config.pbx.allowedSources);
  trunk.restrictToPeers = true;
  for (const config::Provider& p : config.trunk.providers) fill(trunk.peers, p.allowedSources);
  fill(pbx.deny, acl.pbx.deny);
  fill(pbx.allow, acl.pbx.allow);
  fill(trunk.deny, acl.trunk.deny);
  fill(trunk.allow, acl.trunk.allow);
  fill(pub.deny, acl.publicZone.deny);
  fill(pub.allow, acl.publicZone.allow);
  if (acl.countries && countries != nullptr) {
    countries_ = std::move(countries);
    for (const std::string& c : acl.countries->allow) allowCountries_.push_back(codeOf(c));
    for (const std::string& c : acl.countries->deny) denyCountries_.push_back(codeOf(c));
    std::sort(allowCountries_.begin(), allowCountries_.end());
    std::sort(denyCountries_.begin(), denyCountries_.end());
    denyUnknownCountry_ = acl.countries->denyUnknown;
  }
}

std::unique_ptr<ZoneAcl> ZoneAcl::create(const config::Config& config, std::string* error) {
  std::shared_ptr<const CountryDb> countries;
  const auto& c = config.guard.acl.countries;
  if (config.guard.acl.enabled && c && !c->database.empty()) {
    countries = CountryDb::open(c->database, error);
    if (countries == nullptr) return nullptr;
  }
  return std::make_unique<ZoneAcl>(config, std::move(countries));
}

AclVerdict ZoneAcl::denied(std::string_view rule, std::string_view reason) const {
  return AclVerdict{!enforce_, !enforce_, rule, reason};
}

AclVerdict ZoneAcl::check(transport::Zone zone, const base::Address& source) const {
  const ZoneLists& z = zones_[zoneIndex(zone)];
  // The zone's identity, older than guard.acl and never in shadow mode.
  if (z.restrictToPeers && !z.peers.contains(source)) {
    return {false, false, "acl.not_allowed", "not a network of this zone's peers"};
  }
  if (!enabled_) return {};
  if (z.deny.contains(source)) return denied("acl.deny", "on the zone's deny list");
  if (!z.allow.empty() && !z.allow.contains(source)) {
    return denied("acl.not_allowed", "not on the zone's allow list");
  }
  if (zone == transport::Zone::kPublic && countries_ != nullptr) {
    const uint16_t code = codeOf(countries_->countryOf(source));
    if (code == 0) {
      if (denyUnknownCountry_) return denied("acl.country", "country unknown (deny_unknown)");
    } else if (std::binary_search(denyCountries_.begin(), denyCountries_.end(), code)) {
      return denied("acl.country", "country on the deny list");
    } else if (!allowCountries_.empty() &&
               !std::binary_search(allowCountries_.begin(), allowCountries_.end(), code)) {
      return denied("acl.country", "country not on the allow list");
    }
  }
  return {};
}

}  // namespace tg::guard::acl
