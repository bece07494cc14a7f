#pragma once

// Tracks whether each peer (the PBX targets and every provider) answers, address by address:
// a provider found through DNS has several (its SRV targets), and each gets an OPTIONS ping
// every interval. An address is down after N pings in a row without any response, and up
// again at the first response; a peer is up while any of its addresses is. Calls are not
// routed to providers that are down while another is up, and within a provider they try the
// addresses that are up first.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/address.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "transaction/transaction_layer.h"
#include "transport/transport.h"

namespace tg::b2bua {

struct AddressHealth {
  transport::SendTarget target;
  bool up = true;  // optimistic until proven otherwise
  int consecutiveFailures = 0;
  uint64_t pingsSent = 0;
  // Stable while the address stays listed (reloads and DNS refreshes keep it): pings in flight
  // and calls in progress refer to the address by it. Never 0 (HealthMonitor::kNoAddress).
  uint64_t id = 0;
};

struct PeerHealth {
  std::string name;                      // provider name, or "pbx" / "pbx#2"
  std::vector<AddressHealth> addresses;  // in the order to try (DNS SRV order)

  bool up() const {
    for (const AddressHealth& a : addresses) {
      if (a.up) return true;
    }
    return false;
  }
  size_t upCount() const {
    size_t n = 0;
    for (const AddressHealth& a : addresses) n += a.up ? 1 : 0;
    return n;
  }
};

// Owns its pings' transactions (ownerId: the address id).
class HealthMonitor final : public transaction::TransactionOwner {
 public:
  // The address id of a target that is not health-checked (a registered phone).
  static constexpr uint64_t kNoAddress = 0;

  HealthMonitor(base::TimerQueue& timers, const config::HealthCheck& settings);
  ~HealthMonitor() override;

  // The peers to watch, each with its addresses (only `target` is read). What is known about an
  // address already watched (same peer name, address and transport) is kept; new addresses
  // start up; those no longer listed are forgotten.
  void setPeers(std::vector<PeerHealth> peers);
  // Starts the periodic pings through `layer`; `buildPing(target)` makes the OPTIONS bytes and
  // returns its branch through the out parameter (empty bytes: not pinged).
  using PingBuilder =
      std::function<std::string(const transport::SendTarget& target, std::string& branch)>;
  void start(transaction::TransactionLayer& layer, PingBuilder buildPing);
  void stop();

  // Results of pings: any response proves the address alive; a timeout counts against it.
  void onResponse(transaction::ClientTransaction& ct, const sip::Message& response) override;
  void onClientFailure(transaction::ClientTransaction& ct, bool transportError) override;
  void onTerminated(transaction::Transaction& /*t*/) override {}
  // Any traffic from an address proves it is alive (a call's response, for example); a call's
  // timeout or transport error counts as an unanswered request. By AddressHealth::id; unknown
  // ids (an address dropped since) are ignored.
  void markAlive(uint64_t addressId);
  void markFailed(uint64_t addressId);

  const std::vector<PeerHealth>& peers() const { return peers_; }
  // Whether peer `index` (in setPeers() order) has an address that is up.
  bool isUp(size_t index) const { return index < peers_.size() && peers_[index].up(); }

 private:
  void pingAll();
  // The address with this id and its peer, or nullptrs.
  std::pair<PeerHealth*, AddressHealth*> find(uint64_t addressId);

  base::TimerQueue& timers_;
  config::HealthCheck settings_;
  std::vector<PeerHealth> peers_;
  uint64_t nextId_ = 1;
  transaction::TransactionLayer* layer_ = nullptr;
  PingBuilder buildPing_;
  base::TimerId timer_ = base::kNoTimer;
};

}  // namespace tg::b2bua
