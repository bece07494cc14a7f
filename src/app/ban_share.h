#pragma once

// Bans shared between the gateways of a cluster through the store's publish/subscribe
// (docs/cluster.md "Bans"): a ban made on one gateway silences the source on the others.
//
// Every 100 ms, when the ban list changed, the bans this gateway made that are new (automatic
// and manual; blocklist feeds are imported by every gateway itself) are published on the
// "bans" channel with their remaining time; so are lifted ones. A ban heard from another
// gateway is applied to the ban list with that time, and reaches this gateway's SQLite copy
// through BanSync like any other (the local fallback, and what a restart restores); it is not
// published again. Messages are tab-separated text:
//   add <node> <network> <seconds left, 0: until removed> <origin> <rule> <reason>
//   del <node> <network>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "base/clock.h"
#include "guard/ban/ban_list.h"
#include "store/store.h"

namespace tg::app {

class BanShare {
 public:
  static constexpr std::string_view kChannel = "bans";

  BanShare(guard::BanList& bans, store::Store& store, std::string nodeId, const base::Clock& clock);
  ~BanShare();  // stops the thread and the subscription
  BanShare(const BanShare&) = delete;
  BanShare& operator=(const BanShare&) = delete;

  void start();
  // One look at the ban list now (tests; the thread does it every 100 ms).
  void publishChanges();
  // A message from the channel (the store's thread).
  void onMessage(std::string_view message);

 private:
  void run();

  guard::BanList& bans_;
  store::Store& store_;
  const std::string node_;
  const base::Clock& clock_;

  std::mutex mutex_;  // everything below
  // Every network banned at the last look -> its end (nullopt: until removed).
  std::map<std::string, std::optional<base::SystemTime>> known_;
  std::set<std::string> heard_;  // networks banned because another gateway said so
  uint64_t seenVersion_ = 0;
  bool first_ = true;

  store::SubscriptionId subscription_ = 0;
  std::mutex stopMutex_;
  std::condition_variable stopCv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tg::app
