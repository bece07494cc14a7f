#pragma once

// What a DNS lookup returns to the RFC 3263 resolver (target_resolver.h), independent of the
// library that asked (ares_dns_client.h) so that the resolver is tested with a fake.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tg::trunk {

enum class DnsType : uint8_t { kNaptr, kSrv, kA, kAaaa };
std::string_view dnsTypeName(DnsType t);

struct NaptrRecord {
  uint16_t order = 0;
  uint16_t preference = 0;
  std::string flags;        // "s" for SRV (RFC 3263 §4.1)
  std::string service;      // "SIP+D2U", "SIP+D2T", "SIPS+D2T"
  std::string replacement;  // the SRV name
};

struct SrvRecord {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;
};

struct DnsAnswer {
  // True when the server answered (possibly with no records: NXDOMAIN or NODATA, which is an
  // answer too); false on timeouts, refusals and other failures.
  bool answered = false;
  std::string error;            // why, when !answered or empty
  std::chrono::seconds ttl{0};  // the smallest TTL among the records
  std::vector<NaptrRecord> naptr;
  std::vector<SrvRecord> srv;
  std::vector<std::string> ips;  // A or AAAA, as text
  bool empty() const { return naptr.empty() && srv.empty() && ips.empty(); }
};

// One query at a time per call; the callback runs later on the owner's thread (never inside
// query()), or not at all once the client is destroyed.
class DnsClient {
 public:
  using Callback = std::function<void(DnsAnswer)>;
  virtual ~DnsClient() = default;
  virtual void query(const std::string& name, DnsType type, Callback done) = 0;
};

}  // namespace tg::trunk
