#pragma once

// RFC 3263 §4 for the peers trunkguard sends to: an IP literal is used as written; a name with
// an explicit port is looked up as A/AAAA only; otherwise NAPTR (optional) names the SRV
// record, SRV (_sips._tcp, _sip._tcp or _sip._udp by transport) gives targets in RFC 2782
// order, and each target's A/AAAA records give the addresses. Without SRV records the name's
// own A/AAAA records are used with the default port. Answers are cached for their TTL.
//
// Results come back through a callback on the caller's thread: immediately (inside resolve())
// for literals and fully cached names, later otherwise.

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "transport/transport.h"
#include "trunk/dns_cache.h"
#include "trunk/dns_types.h"

namespace tg::trunk {

struct Resolution {
  // Addresses in the order to try them (failover goes down the list).
  std::vector<transport::SendTarget> targets;
  std::string error;  // why there are none
  // How long the answer holds: the smallest TTL among the records used; max() for literals.
  base::Duration ttl = base::Duration::max();
};

class TargetResolver {
 public:
  using Callback = std::function<void(Resolution)>;

  TargetResolver(DnsClient& dns, const base::Clock& clock, const config::DnsSettings& settings,
                 uint64_t seed);
  ~TargetResolver();

  // Which address families are worth returning (those trunkguard has listeners for).
  void setFamilies(bool v4, bool v6) {
    wantV4_ = v4;
    wantV6_ = v6;
  }

  void resolve(const config::PeerTarget& peer, transport::Zone zone, Callback done);

  // The SRV owner name for a host and transport, e.g. "_sip._udp.example.com".
  static std::string srvName(const std::string& host, config::TransportKind transport);
  DnsCache& cache() { return cache_; }

 private:
  struct Job;
  using AnswerFn = std::function<void(const DnsAnswer&)>;
  void lookup(const std::string& name, DnsType type, AnswerFn done);
  void viaNaptr(const std::shared_ptr<Job>& job);
  void viaSrv(const std::shared_ptr<Job>& job, const std::string& name);
  void viaAddresses(const std::shared_ptr<Job>& job, const std::string& name, uint16_t port);
  // A and AAAA of `name` (those wanted), v4 first.
  void addresses(const std::string& name,
                 std::function<void(std::vector<std::string>, base::Duration, std::string)> done);

  DnsClient& dns_;
  DnsCache cache_;
  bool naptr_;
  bool wantV4_ = true;
  bool wantV6_ = true;
  std::mt19937_64 rng_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tg::trunk
