#include "b2bua/health.h"

#include "base/log.h"

namespace tg::b2bua {

HealthMonitor::HealthMonitor(base::TimerQueue& timers, const config::HealthCheck& settings)
    : timers_(timers), settings_(settings) {}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::setPeers(std::vector<PeerHealth> peers) { peers_ = std::move(peers); }

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
  for (size_t i = 0; i < peers_.size(); ++i) {
    std::string branch;
    std::string bytes = buildPing_(peers_[i], branch);
    if (bytes.empty()) continue;
    ++peers_[i].pingsSent;
    layer_->request(std::move(bytes), branch, sip::Method::kOptions, peers_[i].target, 0,
                    kPingTagBase + i);
  }
  timer_ = timers_.schedule(settings_.interval, [this] { pingAll(); });
}

void HealthMonitor::onPingAnswered(uint64_t ownerTag) { markAlive(ownerTag - kPingTagBase); }

void HealthMonitor::onPingFailed(uint64_t ownerTag) { markFailed(ownerTag - kPingTagBase); }

void HealthMonitor::markAlive(size_t index) {
  if (index >= peers_.size()) return;
  PeerHealth& p = peers_[index];
  p.consecutiveFailures = 0;
  if (!p.up) {
    p.up = true;
    TG_LOG(kB2bua, info, "peer {} ({}) is up", p.name, p.target.address.toString());
  }
}

void HealthMonitor::markFailed(size_t index) {
  // Without pings nothing could ever bring a peer back up, so failures are not tracked then.
  if (index >= peers_.size() || settings_.interval.count() <= 0) return;
  PeerHealth& p = peers_[index];
  ++p.consecutiveFailures;
  if (p.up && p.consecutiveFailures >= settings_.failuresBeforeDown) {
    p.up = false;
    TG_LOG(kB2bua, warn, "peer {} ({}) is down after {} unanswered requests", p.name,
           p.target.address.toString(), p.consecutiveFailures);
  }
}

}  // namespace tg::b2bua
