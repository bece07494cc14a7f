#include "b2bua/health.h"

#include <algorithm>

#include "base/log.h"

namespace tg::b2bua {
namespace {

bool sameAddress(const transport::SendTarget& a, const transport::SendTarget& b) {
  return a.address == b.address && a.transport == b.transport && a.zone == b.zone;
}

}  // namespace

HealthMonitor::HealthMonitor(base::TimerQueue& timers, const config::HealthCheck& settings)
    : timers_(timers), settings_(settings) {}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::setPeers(std::vector<PeerHealth> peers) {
  std::vector<uint64_t> kept;  // ids carried over: an address listed twice gets a new one
  for (PeerHealth& next : peers) {
    for (AddressHealth& a : next.addresses) {
      const transport::SendTarget target = a.target;
      a = AddressHealth{};
      a.target = target;
      for (const PeerHealth& old : peers_) {
        if (old.name != next.name) continue;
        for (const AddressHealth& known : old.addresses) {
          if (sameAddress(known.target, target) &&
              std::find(kept.begin(), kept.end(), known.id) == kept.end()) {
            a = known;
          }
        }
      }
      if (a.id == kNoAddress) a.id = nextId_++;
      kept.push_back(a.id);
    }
  }
  peers_ = std::move(peers);
}

void HealthMonitor::start(transaction::TransactionLayer& layer, PingBuilder buildPing) {
  layer_ = &layer;
  buildPing_ = std::move(buildPing);
  if (settings_.interval.count() <= 0) return;  // health checks disabled
  timer_ = timers_.schedule(std::chrono::milliseconds(50), [this] { pingAll(); });
}

void HealthMonitor::stop() {
  timers_.cancel(timer_);
  timer_ = base::kNoTimer;
}

void HealthMonitor::pingAll() {
  for (PeerHealth& p : peers_) {
    for (AddressHealth& a : p.addresses) {
      std::string branch;
      std::string bytes = buildPing_(a.target, branch);
      if (bytes.empty()) continue;
      ++a.pingsSent;
      layer_->request(std::move(bytes), branch, sip::Method::kOptions, a.target, this, a.id);
    }
  }
  timer_ = timers_.schedule(settings_.interval, [this] { pingAll(); });
}

std::pair<PeerHealth*, AddressHealth*> HealthMonitor::find(uint64_t addressId) {
  if (addressId == kNoAddress) return {nullptr, nullptr};
  for (PeerHealth& p : peers_) {
    for (AddressHealth& a : p.addresses) {
      if (a.id == addressId) return {&p, &a};
    }
  }
  return {nullptr, nullptr};
}

void HealthMonitor::onResponse(transaction::ClientTransaction& ct, const sip::Message&) {
  markAlive(ct.ownerId);
}

void HealthMonitor::onClientFailure(transaction::ClientTransaction& ct, bool) {
  markFailed(ct.ownerId);
}

void HealthMonitor::markAlive(uint64_t addressId) {
  auto [p, a] = find(addressId);
  if (a == nullptr) return;
  a->consecutiveFailures = 0;
  if (a->up) return;
  a->up = true;
  if (p->addresses.size() == 1) {
    TG_LOG(kB2bua, info, "peer {} ({}) is up", p->name, a->target.address.toString());
  } else {
    TG_LOG(kB2bua, info, "peer {} address {} ({}) is up; {} of {} addresses up", p->name,
           a->target.address.toString(), config::transportName(a->target.transport), p->upCount(),
           p->addresses.size());
  }
}

void HealthMonitor::markFailed(uint64_t addressId) {
  // Without pings nothing could ever bring an address back up, so failures are not tracked then.
  if (settings_.interval.count() <= 0) return;
  auto [p, a] = find(addressId);
  if (a == nullptr) return;
  ++a->consecutiveFailures;
  if (!a->up || a->consecutiveFailures < settings_.failuresBeforeDown) return;
  a->up = false;
  if (p->addresses.size() == 1) {
    TG_LOG(kB2bua, warn, "peer {} ({}) is down after {} unanswered requests", p->name,
           a->target.address.toString(), a->consecutiveFailures);
  } else {
    TG_LOG(kB2bua, warn,
           "peer {} address {} ({}) is down after {} unanswered requests; {} of {} addresses up",
           p->name, a->target.address.toString(), config::transportName(a->target.transport),
           a->consecutiveFailures, p->upCount(), p->addresses.size());
  }
}

}  // namespace tg::b2bua
