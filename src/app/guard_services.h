#pragma once

// The parts of the perimeter defense that all workers share, and the thread that keeps them in
// step with the database (docs/security.md "Bans"):
//   - the ban list: restored from SQLite at start, every new ban or unban written back within
//     a second, and re-read whenever another process (`trunkguard ban ...`) changed the table;
//   - the blocklist feeds: files (guard.bans.blocklist_files), imported at start and on every
//     reload, and the URL (guard.bans.blocklist_url), pulled by a guard::BlocklistFetcher on a
//     thread of its own; the blocklist bans are always the union of the files and the URL's
//     last good pull (BanList::replaceBlocklist);
//   - the security event log and its SQLite store (with retention);
//   - the zone ACL of the current config (with its country database).
// Nothing here runs on a SIP worker: the maintenance thread wakes once a second, the pull
// thread when its interval is up.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/gateway.h"
#include "base/clock.h"
#include "config/config.h"
#include "db/ban_store.h"
#include "db/event_store.h"
#include "guard/ban/ban_list.h"
#include "guard/ban/blocklist.h"
#include "guard/ban/blocklist_fetcher.h"
#include "guard/event_log.h"

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
  // One maintenance pass now (tests): write pending bans, pick up the CLI's changes.
  void syncNow();
  // Also run `task` at the end of every pass (the accounts' housekeeping); set before start().
  void setExtraTask(std::function<void()> task) { extraTask_ = std::move(task); }

 private:
  void run();
  void importBlocklists(const config::Config& config);
  // A good pull of the blocklist URL: replaces that feed's networks (nullopt: not the
  // configured URL any more).
  std::optional<guard::PullOutcome> applyPulledFeed(const std::string& url,
                                                    const guard::Blocklist& feed);
  size_t replaceBlocklistBans();  // caller holds feedMutex_
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
  std::mutex feedMutex_;                       // the feeds below and their replacement in bans_
  std::vector<guard::IpPrefix> fileNetworks_;  // every blocklist file, as last read
  std::vector<guard::IpPrefix> urlNetworks_;   // the URL's last good pull
  std::string blocklistUrl_;                   // the configured URL ("" = none)
  bool feedsConfigured_ = false;               // so that removing the last feed lifts its bans
  std::unique_ptr<guard::BlocklistFetcher> fetcher_;  // stopped first in the destructor
  std::function<void()> extraTask_;  // last: destroyed first, before what it refers to
};

}  // namespace tg::app
