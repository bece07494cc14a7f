#pragma once

// Tracks whether each peer (the PBX targets and every provider) answers: an OPTIONS ping every
// interval; a peer is down after N pings in a row without any response, and up again at the
// first response. Calls are not routed to providers that are down while another is up.

#include <cstdint>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "transaction/transaction_layer.h"
#include "transport/transport.h"

namespace tg::b2bua {

struct PeerHealth {
  std::string name;  // provider name, or "pbx" / "pbx#2"
  transport::SendTarget target;
  bool up = true;    // optimistic until proven otherwise
  int consecutiveFailures = 0;
  uint64_t pingsSent = 0;
};

class HealthMonitor {
 public:
  // ownerTag values at or above this mark a health ping (below are relay ids of calls).
  static constexpr uint64_t kPingTagBase = uint64_t{1} << 62;

  HealthMonitor(base::TimerQueue& timers, const config::HealthCheck& settings);
  ~HealthMonitor();

  void setPeers(std::vector<PeerHealth> peers);
  // Starts the periodic pings through `layer`; `buildPing(peer)` makes the OPTIONS bytes and
  // returns its branch through the out parameter.
  using PingBuilder = std::function<std::string(const PeerHealth&, std::string& branch)>;
  void start(transaction::TransactionLayer& layer, PingBuilder buildPing);
  void stop();

  // Results of pings, from the B2BUA's transaction callbacks.
  void onPingAnswered(uint64_t ownerTag);
  void onPingFailed(uint64_t ownerTag);
  // Any traffic from a peer proves it is alive (a call's response, for example).
  void markAlive(size_t index);
  void markFailed(size_t index);

  const std::vector<PeerHealth>& peers() const { return peers_; }
  bool isUp(size_t index) const { return index < peers_.size() && peers_[index].up; }

 private:
  void pingAll();

  base::TimerQueue& timers_;
  config::HealthCheck settings_;
  std::vector<PeerHealth> peers_;
  transaction::TransactionLayer* layer_ = nullptr;
  PingBuilder buildPing_;
  base::TimerId timer_ = base::kNoTimer;
};

}  // namespace tg::b2bua
