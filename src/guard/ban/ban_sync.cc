#include "guard/ban/ban_sync.h"

#include <utility>

#include "base/log.h"
#include "guard/ban/feed_download.h"

namespace tg::guard {
namespace {

int64_t epochMs(base::SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

BanSync::BanSync(BanList& bans, const config::Config& config, const base::Clock& clock)
    : bans_(bans),
      clock_(clock),
      store_(config.database.path),
      forgetAfter_(config.guard.bans.forgetAfter) {
  bans_.setPolicy(BanPolicy::from(config.guard.bans));
  bans_.setTrusted(trustedNetworks(config));
  restoreFromStore();
  store_.changedSinceLastCheck();  // the baseline: what we just read
  bans_.trackChanges(true);
  if (!config.guard.bans.blocklistUrl.empty()) {
    // Until the URL's first good pull, the blocklist bans restored from the table stand for
    // it: a gateway that restarts while the feed is down keeps them.
    for (const Ban& ban : bans_.list(clock.now())) {
      if (ban.origin == BanOrigin::kBlocklist) urlNetworks_.push_back(ban.network);
    }
  }
  fetcher_ = std::make_unique<BlocklistFetcher>(
      [](const std::string& url, const std::atomic<bool>& cancel) {
        return downloadFeed(url, FeedLimits{}, &cancel);
      },
      [this](const std::string& url, const Blocklist& feed) { return applyPulledFeed(url, feed); });
  importBlocklists(config.guard.bans);
  const size_t restored = bans_.size();
  if (restored > 0) TG_LOG(kGuard, info, "{} bans in force (restored and imported)", restored);
}

BanSync::~BanSync() { stop(); }

void BanSync::start() { fetcher_->start(); }

void BanSync::stop() { fetcher_->stop(); }

void BanSync::reload(const config::Config& config) {
  bans_.setTrusted(trustedNetworks(config));
  bans_.setPolicy(BanPolicy::from(config.guard.bans));
  {
    std::lock_guard lock(syncMutex_);
    forgetAfter_ = config.guard.bans.forgetAfter;
  }
  importBlocklists(config.guard.bans);
}

void BanSync::syncNow(bool prune) {
  std::lock_guard lock(syncMutex_);
  // Ours first, so that a re-read below cannot resurrect or forget them.
  std::vector<db::BanWrite> writes = bans_.drainChanges();
  if (!writes.empty()) {
    if (std::string e = store_.apply(writes); !e.empty()) {
      TG_LOG(kGuard, err, "could not store {} ban changes: {}", writes.size(), e);
    }
  }
  if (store_.changedSinceLastCheck()) {
    restoreFromStore();
    TG_LOG(kGuard, info, "bans re-read from the database ({} in force)", bans_.size());
  }
  bans_.expire(clock_.now());
  if (!prune) return;
  const int64_t now = epochMs(clock_.wallNow());
  const int64_t forgetBefore =
      now - std::chrono::duration_cast<std::chrono::milliseconds>(forgetAfter_).count();
  if (std::string e = store_.prune(now, forgetBefore); !e.empty()) {
    TG_LOG(kGuard, warn, "could not prune expired bans: {}", e);
  }
}

void BanSync::restoreFromStore() {
  const int64_t now = epochMs(clock_.wallNow());
  std::vector<db::BanRecord> active = store_.loadActive(now);
  std::vector<db::OffenceRecord> offences = store_.loadOffences();
  if (!store_.lastError().empty()) {
    TG_LOG(kGuard, err, "reading bans: {}", store_.lastError());
  }
  // Blocklist bans are in the table too (replaceBlocklist writes them). A ban a worker made
  // since the drain just before this is still queued and reaches the table next pass.
  bans_.restore(active, offences);
}

void BanSync::importBlocklists(const config::BanSettings& settings) {
  std::vector<IpPrefix> networks;
  for (const std::string& path : settings.blocklistFiles) {
    Blocklist list = readBlocklistFile(path);
    if (!list.ok()) {
      TG_LOG(kGuard, err, "blocklist {}: {}", path, list.error);
      continue;
    }
    for (const BlocklistProblem& p : list.problems) {
      TG_LOG(kGuard, warn, "blocklist {}:{}: skipped '{}': {}", path, p.line, p.text, p.message);
    }
    networks.insert(networks.end(), list.networks.begin(), list.networks.end());
    TG_LOG(kGuard, info, "blocklist {}: {} networks", path, list.networks.size());
  }
  std::optional<size_t> banned;
  {
    std::lock_guard lock(feedMutex_);
    fileNetworks_ = std::move(networks);
    if (settings.blocklistUrl != blocklistUrl_) {
      // A new URL's first good pull replaces the old one's bans; no URL lifts them now, as a
      // file taken off the list does.
      if (settings.blocklistUrl.empty()) urlNetworks_.clear();
      blocklistUrl_ = settings.blocklistUrl;
    }
    const bool configured = !settings.blocklistFiles.empty() || !settings.blocklistUrl.empty();
    // With no feed now nor before, blocklist bans restored from the table are left alone.
    if (configured || feedsConfigured_) banned = replaceBlocklistBans();
    feedsConfigured_ = configured;
  }
  fetcher_->configure(settings.blocklistUrl, settings.blocklistInterval);
  if (banned) TG_LOG(kGuard, info, "blocklists: {} networks banned", *banned);
}

size_t BanSync::replaceBlocklistBans() {
  std::vector<IpPrefix> all = fileNetworks_;
  all.insert(all.end(), urlNetworks_.begin(), urlNetworks_.end());
  return bans_.replaceBlocklist(all, "blocklist", clock_.now());
}

std::optional<PullOutcome> BanSync::applyPulledFeed(const std::string& url, const Blocklist& feed) {
  std::lock_guard lock(feedMutex_);
  if (url != blocklistUrl_) return std::nullopt;
  const base::TimePoint now = clock_.now();
  const auto bannedNow = [&](const IpPrefix& network) {
    const std::optional<Ban> ban = bans_.find(network);
    return ban && ban->activeAt(now);
  };
  std::vector<bool> before;
  before.reserve(feed.networks.size());
  for (const IpPrefix& network : feed.networks) before.push_back(bannedNow(network));
  urlNetworks_ = feed.networks;
  replaceBlocklistBans();
  PullOutcome outcome;
  for (size_t i = 0; i < feed.networks.size(); ++i) {
    if (!bannedNow(feed.networks[i])) continue;
    ++outcome.banned;
    if (!before[i]) ++outcome.added;
  }
  return outcome;
}

}  // namespace tg::guard
