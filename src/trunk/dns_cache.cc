#include "trunk/dns_cache.h"

#include <algorithm>
#include <cctype>

namespace tg::trunk {

std::string_view dnsTypeName(DnsType t) {
  switch (t) {
    case DnsType::kNaptr:
      return "NAPTR";
    case DnsType::kSrv:
      return "SRV";
    case DnsType::kA:
      return "A";
    case DnsType::kAaaa:
      return "AAAA";
  }
  return "?";
}

std::string DnsCache::key(const std::string& name, DnsType type) {
  std::string k(dnsTypeName(type));
  k.push_back(' ');
  for (char c : name) k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return k;
}

const DnsAnswer* DnsCache::find(const std::string& name, DnsType type) {
  auto it = entries_.find(key(name, type));
  if (it == entries_.end()) return nullptr;
  if (clock_.now() >= it->second.expires) {
    entries_.erase(it);
    return nullptr;
  }
  return &it->second.answer;
}

void DnsCache::store(const std::string& name, DnsType type, const DnsAnswer& answer) {
  // An empty answer (NXDOMAIN/NODATA) is as negative as a failure: both keep the short TTL,
  // so that a record added later is seen soon.
  base::Duration ttl = negativeTtl_;
  if (answer.answered && !answer.empty()) ttl = std::max<base::Duration>(answer.ttl, minTtl_);
  if (ttl <= base::Duration::zero()) return;
  entries_[key(name, type)] = {answer, clock_.now() + ttl};
}

base::TimePoint DnsCache::expiry(const std::string& name, DnsType type) const {
  auto it = entries_.find(key(name, type));
  return it == entries_.end() ? base::TimePoint::max() : it->second.expires;
}

}  // namespace tg::trunk
