#pragma once

// Keeps a BanList in step with the database and the blocklist feeds (docs/security.md "Bans"):
//   - the bans are restored from SQLite at start, every new ban or unban is written back by
//     syncNow(), and re-read whenever another process (`trunkguard ban ...`) changed the table;
//   - the blocklist feeds: files (guard.bans.blocklist_files), imported at start and on every
//     reload, and the URL (guard.bans.blocklist_url), pulled by a BlocklistFetcher on a thread
//     of its own; the blocklist bans are always the union of the files and the URL's last good
//     pull (BanList::replaceBlocklist).
// Every change reaches the workers as a new BanList snapshot; nothing here runs on a SIP
// worker. The caller owns the housekeeping thread that calls syncNow() (about once a second).

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "db/ban_store.h"
#include "guard/ban/ban_list.h"
#include "guard/ban/blocklist.h"
#include "guard/ban/blocklist_fetcher.h"

namespace tg::guard {

class BanSync {
 public:
  // Opens the database (config.database.path), restores the bans and imports the blocklist
  // files. Throws std::runtime_error with the reason: start-up only. `bans` must outlive this.
  BanSync(BanList& bans, const config::Config& config, const base::Clock& clock);
  ~BanSync();  // stops the pull; the caller runs a last syncNow() before
  BanSync(const BanSync&) = delete;
  BanSync& operator=(const BanSync&) = delete;

  // Starts the blocklist pull thread.
  void start();
  // Stops the pull thread (it applies pulls to the BanList); idempotent.
  void stop();
  // A reloaded config: trust, escalation policy and blocklists (a new blocklist URL is pulled
  // at once; no URL stops the pull and lifts its bans).
  void reload(const config::Config& config);
  // One pass: writes pending ban changes, re-reads the table after another process changed
  // it, drops ended bans; with `prune`, also deletes ended bans and forgotten offences from
  // the table (it scans: about once a minute).
  void syncNow(bool prune);

 private:
  void importBlocklists(const config::BanSettings& settings);
  // A good pull of the blocklist URL: replaces that feed's networks (nullopt: not the
  // configured URL any more).
  std::optional<PullOutcome> applyPulledFeed(const std::string& url, const Blocklist& feed);
  size_t replaceBlocklistBans();  // caller holds feedMutex_
  void restoreFromStore();

  BanList& bans_;
  const base::Clock& clock_;
  std::mutex syncMutex_;  // one sync pass at a time; store_ and forgetAfter_
  db::BanStore store_;
  std::chrono::seconds forgetAfter_;
  std::mutex feedMutex_;                // the feeds below and their replacement in bans_
  std::vector<IpPrefix> fileNetworks_;  // every blocklist file, as last read
  std::vector<IpPrefix> urlNetworks_;   // the URL's last good pull
  std::string blocklistUrl_;            // the configured URL ("" = none)
  bool feedsConfigured_ = false;        // so that removing the last feed lifts its bans
  std::unique_ptr<BlocklistFetcher> fetcher_;
};

}  // namespace tg::guard
