#pragma once

// Answers kept for their TTL (with a floor), failures for a short negative TTL, on a
// base::Clock so that expiry is tested on simulated time.

#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "trunk/dns_types.h"

namespace tg::trunk {

class DnsCache {
 public:
  DnsCache(const base::Clock& clock, base::Duration minTtl, base::Duration negativeTtl)
      : clock_(clock), minTtl_(minTtl), negativeTtl_(negativeTtl) {}

  // The answer when still fresh; nullptr otherwise.
  const DnsAnswer* find(const std::string& name, DnsType type);
  void store(const std::string& name, DnsType type, const DnsAnswer& answer);
  // When the entry expires (for refresh scheduling); TimePoint::max() when absent.
  base::TimePoint expiry(const std::string& name, DnsType type) const;
  size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }

 private:
  struct Entry {
    DnsAnswer answer;
    base::TimePoint expires;
  };
  static std::string key(const std::string& name, DnsType type);

  const base::Clock& clock_;
  base::Duration minTtl_;
  base::Duration negativeTtl_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace tg::trunk
