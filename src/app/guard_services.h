#pragma once

// The parts of the perimeter defense that all workers share, and the thread that keeps them in
// step with the database (docs/security.md "Bans"):
//   - the ban list: restored from SQLite at start, every new ban or unban written back within
//     a second, and re-read whenever another process (`trunkguard ban ...`) changed the table;
//   - blocklist files (guard.bans.blocklist_files), imported at start and on every reload;
//   - the security event log and its SQLite store (with retention);
//   - the zone ACL of the current config (with its country database).
// Nothing here runs on a SIP worker: the maintenance thread wakes once a second.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/gateway.h"
#include "base/clock.h"
#include "config/config.h"
#include "db/ban_store.h"
#include "db/event_store.h"
#include "guard/ban/ban_list.h"
#include "guard/ban/blocklist.h"
#include "guard/event_log.h"

namespace tg::app {

class GuardServices {
 public:
  // Opens the database (config.database.path) and restores the bans. Throws
  // std::runtime_error with the reason: start-up only.
  GuardServices(config::ConfigPtr config, const base::Clock& clock);
  ~GuardServices();  // stops the thread, writes what is pending
  GuardServices(const GuardServices&) = delete;
  GuardServices& operator=(const GuardServices&) = delete;

  GuardDeps deps() const;
  std::shared_ptr<const guard::acl::ZoneAcl> acl() const;
  // A reloaded config: trust, escalation policy, event settings, ACL and blocklists.
  void reload(config::ConfigPtr config);
  void start();

  guard::BanList& bans() { return bans_; }
  guard::EventLog& events() { return eventLog_; }
  // One maintenance pass now (tests): write pending bans, pick up the CLI's changes.
  void syncNow();
  // Also run `task` at the end of every pass (the accounts' housekeeping); set before start().
  void setExtraTask(std::function<void()> task) { extraTask_ = std::move(task); }

 private:
  void run();
  void importBlocklists(const config::Config& config);
  void restoreFromStore();

  const base::Clock& clock_;
  mutable std::mutex mutex_;  // config_ and acl_
  config::ConfigPtr config_;
  std::shared_ptr<const guard::acl::ZoneAcl> acl_;
  guard::BanList bans_;
  db::BanStore store_;  // used by the maintenance thread (and the constructor) only
  db::EventStore eventStore_;
  guard::EventLog eventLog_;
  std::mutex syncMutex_;  // one sync pass at a time
  std::thread thread_;
  std::mutex stopMutex_;
  std::condition_variable stopCv_;
  bool stopping_ = false;
  int passes_ = 0;
  std::function<void()> extraTask_;  // last: destroyed first, before what it refers to
};

}  // namespace tg::app
