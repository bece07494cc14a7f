#include "trunk/target_resolver.h"

#include <algorithm>

#include "base/address.h"
#include "base/log.h"
#include "trunk/srv_order.h"

namespace tg::trunk {

struct TargetResolver::Job {
  config::PeerTarget peer;
  transport::Zone zone;
  Callback done;
  base::Duration ttl = base::Duration::max();

  void seen(base::Duration t) { ttl = std::min(ttl, t); }
  transport::SendTarget target(const base::Address& a) const {
    transport::SendTarget t;
    t.zone = zone;
    t.transport = peer.transport;
    t.address = a;
    return t;
  }
};

TargetResolver::TargetResolver(DnsClient& dns, const base::Clock& clock,
                               const config::DnsSettings& settings, uint64_t seed)
    : dns_(dns),
      cache_(clock, settings.minTtl, settings.negativeTtl),
      naptr_(settings.naptr),
      rng_(seed) {}

TargetResolver::~TargetResolver() { *alive_ = false; }

std::string TargetResolver::srvName(const std::string& host, config::TransportKind transport) {
  switch (transport) {
    case config::TransportKind::kTls:
      return "_sips._tcp." + host;
    case config::TransportKind::kTcp:
      return "_sip._tcp." + host;
    case config::TransportKind::kUdp:
      return "_sip._udp." + host;
  }
  return "_sip._udp." + host;
}

void TargetResolver::lookup(const std::string& name, DnsType type, AnswerFn done) {
  if (const DnsAnswer* cached = cache_.find(name, type)) {
    done(*cached);
    return;
  }
  dns_.query(name, type,
             [this, alive = std::weak_ptr<bool>(alive_), name, type,
              done = std::move(done)](DnsAnswer answer) {
               if (alive.expired()) return;
               cache_.store(name, type, answer);
               done(answer);
             });
}

void TargetResolver::resolve(const config::PeerTarget& peer, transport::Zone zone, Callback done) {
  auto job = std::make_shared<Job>();
  job->peer = peer;
  job->zone = zone;
  job->done = std::move(done);
  std::string_view host = peer.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (auto literal = base::Address::parse(host, peer.port)) {
    Resolution r;
    r.targets.push_back(job->target(*literal));
    job->done(std::move(r));
    return;
  }
  if (peer.explicitPort) {
    viaAddresses(job, peer.host, peer.port);  // §4.2: a port means no SRV
  } else if (naptr_) {
    viaNaptr(job);
  } else {
    viaSrv(job, srvName(peer.host, peer.transport));
  }
}

void TargetResolver::viaNaptr(const std::shared_ptr<Job>& job) {
  lookup(job->peer.host, DnsType::kNaptr, [this, job](const DnsAnswer& a) {
    std::string_view service;
    switch (job->peer.transport) {
      case config::TransportKind::kTls:
        service = "SIPS+D2T";
        break;
      case config::TransportKind::kTcp:
        service = "SIP+D2T";
        break;
      case config::TransportKind::kUdp:
        service = "SIP+D2U";
        break;
    }
    // The transport is configured, so NAPTR only tells which SRV name carries it (§4.1).
    const NaptrRecord* best = nullptr;
    for (const NaptrRecord& n : a.naptr) {
      const bool srvFlag = n.flags == "s" || n.flags == "S";
      if (!srvFlag || n.replacement.empty()) continue;
      if (n.service.size() != service.size() ||
          !std::equal(n.service.begin(), n.service.end(), service.begin(), [](char x, char y) {
            return std::toupper(static_cast<unsigned char>(x)) == y;
          })) {
        continue;
      }
      if (best == nullptr || n.order < best->order ||
          (n.order == best->order && n.preference < best->preference)) {
        best = &n;
      }
    }
    if (best != nullptr) job->seen(a.ttl);
    viaSrv(job, best != nullptr ? best->replacement : srvName(job->peer.host, job->peer.transport));
  });
}

void TargetResolver::viaSrv(const std::shared_ptr<Job>& job, const std::string& name) {
  lookup(name, DnsType::kSrv, [this, job, name](const DnsAnswer& a) {
    std::vector<SrvRecord> records;
    for (const SrvRecord& r : a.srv) {
      if (r.target != "." && !r.target.empty()) records.push_back(r);  // "." = not offered
    }
    if (records.empty()) {
      viaAddresses(job, job->peer.host, job->peer.port);
      return;
    }
    job->seen(a.ttl);
    records = orderSrv(std::move(records), rng_);
    // Look every target up at once; assemble in SRV order when the last answer is in.
    struct Gather {
      std::vector<std::vector<transport::SendTarget>> slots;
      std::vector<std::string> errors;
      size_t left;
    };
    auto gather = std::make_shared<Gather>();
    gather->slots.resize(records.size());
    gather->left = records.size();
    for (size_t i = 0; i < records.size(); ++i) {
      const uint16_t port = records[i].port;
      addresses(records[i].target,
                [job, gather, i, port, target = records[i].target](
                    std::vector<std::string> ips, base::Duration ttl, std::string error) {
                  if (!ips.empty()) job->seen(ttl);
                  for (const std::string& ip : ips) {
                    if (auto addr = base::Address::parse(ip, port)) {
                      gather->slots[i].push_back(job->target(*addr));
                    }
                  }
                  if (ips.empty()) gather->errors.push_back(target + ": " + error);
                  if (--gather->left > 0) return;
                  Resolution r;
                  for (auto& slot : gather->slots) {
                    for (auto& t : slot) r.targets.push_back(std::move(t));
                  }
                  if (r.targets.empty()) {
                    r.error = "no address for the SRV targets of " + job->peer.host;
                    for (const std::string& e : gather->errors) r.error += "; " + e;
                  }
                  r.ttl = job->ttl;
                  job->done(std::move(r));
                });
    }
  });
}

void TargetResolver::viaAddresses(const std::shared_ptr<Job>& job, const std::string& name,
                                  uint16_t port) {
  addresses(name,
            [job, name, port](std::vector<std::string> ips, base::Duration ttl, std::string error) {
              Resolution r;
              for (const std::string& ip : ips) {
                if (auto addr = base::Address::parse(ip, port))
                  r.targets.push_back(job->target(*addr));
              }
              if (r.targets.empty()) {
                r.error = "cannot resolve " + name + (error.empty() ? "" : ": " + error);
              } else {
                job->seen(ttl);
              }
              r.ttl = job->ttl;
              job->done(std::move(r));
            });
}

void TargetResolver::addresses(
    const std::string& name,
    std::function<void(std::vector<std::string>, base::Duration, std::string)> done) {
  struct Pair {
    std::vector<std::string> v4;
    std::vector<std::string> v6;
    base::Duration ttl = base::Duration::max();
    std::string error;
    int left = 0;
    std::function<void(std::vector<std::string>, base::Duration, std::string)> done;
  };
  auto pair = std::make_shared<Pair>();
  pair->left = (wantV4_ ? 1 : 0) + (wantV6_ ? 1 : 0);
  pair->done = std::move(done);
  if (pair->left == 0) {
    pair->done({}, base::Duration::max(), "no address family enabled");
    return;
  }
  auto finish = [pair]() {
    if (--pair->left > 0) return;
    std::vector<std::string> all = std::move(pair->v4);
    for (std::string& ip : pair->v6) all.push_back(std::move(ip));
    if (all.empty() && pair->error.empty()) pair->error = "no A/AAAA records";
    pair->done(std::move(all), pair->ttl, pair->error);
  };
  auto take = [pair, finish](std::vector<std::string>& into, const DnsAnswer& a) {
    if (!a.ips.empty()) {
      into = a.ips;
      pair->ttl = std::min<base::Duration>(pair->ttl, a.ttl);
    } else if (!a.answered && !a.error.empty()) {
      pair->error = a.error;
    }
    finish();
  };
  if (wantV4_) lookup(name, DnsType::kA, [pair, take](const DnsAnswer& a) { take(pair->v4, a); });
  if (wantV6_) {
    lookup(name, DnsType::kAaaa, [pair, take](const DnsAnswer& a) { take(pair->v6, a); });
  }
}

}  // namespace tg::trunk
