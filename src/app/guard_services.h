#pragma once

// The parts of the perimeter defense that all workers share, and the thread that keeps them in
// step with the database (docs/security.md "Bans"):
//   - the ban list, kept in step with SQLite and the blocklist feeds by a guard::BanSync;
//   - the security event log and its SQLite store (with retention);
//   - the zone ACL of the current config (with its country database);
//   - the state store the shared counters live in (store::MemoryStore, swept here), and with
//     `store.type: redis` the RedisStore the call policy's counters go to (docs/cluster.md):
//     its state changes are security events, and bans are shared through it (ban_share.h).
// Nothing here runs on a SIP worker: the maintenance thread wakes once a second, the blocklist
// pull thread (BanSync's) when its interval is up.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/ban_share.h"
#include "app/gateway.h"
#include "base/clock.h"
#include "config/config.h"
#include "db/event_store.h"
#include "guard/ban/ban_list.h"
#include "guard/ban/ban_sync.h"
#include "guard/event_log.h"
#include "store/memory_store.h"
#include "store/redis_store.h"

namespace tg::app {

class GuardServices {
 public:
  // Opens the database (config.database.path) and restores the bans. Throws
  // std::runtime_error with the reason: start-up only.
  GuardServices(config::ConfigPtr config, const base::Clock& clock);
  ~GuardServices();  // stops the threads, writes what is pending
  GuardServices(const GuardServices&) = delete;
  GuardServices& operator=(const GuardServices&) = delete;

  GuardDeps deps() const;
  std::shared_ptr<const guard::acl::ZoneAcl> acl() const;
  // A reloaded config: trust, escalation policy, event settings, ACL and blocklists (a new
  // blocklist URL is pulled at once; no URL stops the pull and lifts its bans).
  void reload(config::ConfigPtr config);
  // Starts the maintenance thread and the blocklist pull.
  void start();

  guard::BanList& bans() { return bans_; }
  guard::EventLog& events() { return eventLog_; }
  // The one state store of this process, for every component that shares counters.
  store::MemoryStore& store() { return store_; }
  // The store shared with the other gateways: the RedisStore with `store.type: redis`,
  // otherwise the one above. Its answers may come later (completesInline()).
  store::Store& sharedStore() { return redis_ ? static_cast<store::Store&>(*redis_) : store_; }
  // Null with `store.type: memory`.
  store::RedisStore* redis() { return redis_.get(); }
  // No more answers from Redis after this (shutdown, once the workers stopped).
  void stopSharedStore() {
    if (redis_) redis_->stop();
  }
  // One maintenance pass now (tests): write pending bans, pick up the CLI's changes.
  void syncNow();
  // Also run `task` at the end of every pass (the accounts' housekeeping); set before start().
  void setExtraTask(std::function<void()> task) { extraTask_ = std::move(task); }

 private:
  void run();
  void storeStateChanged(store::redis::LinkState state, const std::string& why);

  const base::Clock& clock_;
  mutable std::mutex mutex_;  // config_ and acl_
  config::ConfigPtr config_;
  std::shared_ptr<const guard::acl::ZoneAcl> acl_;
  store::MemoryStore store_;
  guard::BanList bans_;
  guard::BanSync banSync_;  // after bans_: it feeds them
  db::EventStore eventStore_;
  guard::EventLog eventLog_;
  std::mutex syncMutex_;  // one maintenance pass at a time
  std::thread thread_;
  std::mutex stopMutex_;
  std::condition_variable stopCv_;
  bool stopping_ = false;
  int passes_ = 0;
  std::function<void()> extraTask_;           // destroyed before what it refers to
  std::unique_ptr<store::RedisStore> redis_;  // its thread (events) stops before the above
  std::unique_ptr<BanShare> banShare_;        // with redis_: bans shared through it
};

}  // namespace tg::app
