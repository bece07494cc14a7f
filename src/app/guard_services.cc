#include "app/guard_services.h"

#include <stdexcept>

#include "app/secrets_at_rest.h"
#include "base/log.h"

namespace tg::app {

namespace {

int64_t epochMs(base::SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::shared_ptr<const guard::acl::ZoneAcl> buildAcl(const config::Config& config) {
  std::string error;
  std::shared_ptr<const guard::acl::ZoneAcl> acl = guard::acl::ZoneAcl::create(config, &error);
  if (acl == nullptr) {
    throw std::runtime_error("guard.acl.countries: " + error);
  }
  return acl;
}

}  // namespace

GuardServices::GuardServices(config::ConfigPtr config, const base::Clock& clock)
    : clock_(clock),
      config_(config),
      acl_(buildAcl(*config)),
      bans_(clock, guard::BanPolicy::from(config->guard.bans)),
      store_(config->database.path),
      eventStore_(config->database.path),
      eventLog_(clock, config->guard.events, &eventStore_) {
  if (const int sealed = sealSecretsAtStart(*config); sealed > 0) {
    TG_LOG(kMain, info, "sealed {} admin TOTP secret(s) found in the clear", sealed);
  }
  bans_.setTrusted(guard::trustedNetworks(*config));
  restoreFromStore();
  store_.changedSinceLastCheck();  // the baseline: what we just read
  bans_.trackChanges(true);
  if (!config->guard.bans.blocklistUrl.empty()) {
    // Until the URL's first good pull, the blocklist bans restored from the table stand for
    // it: a gateway that restarts while the feed is down keeps them.
    for (const guard::Ban& ban : bans_.list(clock.now())) {
      if (ban.origin == guard::BanOrigin::kBlocklist) urlNetworks_.push_back(ban.network);
    }
  }
  fetcher_ = std::make_unique<guard::BlocklistFetcher>(
      [](const std::string& url, const std::atomic<bool>& cancel) {
        return guard::downloadFeed(url, guard::FeedLimits{}, &cancel);
      },
      [this](const std::string& url, const guard::Blocklist& feed) {
        return applyPulledFeed(url, feed);
      });
  importBlocklists(*config);
  const size_t restored = bans_.size();
  if (restored > 0) TG_LOG(kGuard, info, "{} bans in force (restored and imported)", restored);
}

GuardServices::~GuardServices() {
  fetcher_->stop();  // it applies pulls to what is destroyed below
  {
    std::lock_guard<std::mutex> lock(stopMutex_);
    stopping_ = true;
  }
  stopCv_.notify_all();
  if (thread_.joinable()) thread_.join();
  syncNow();
  eventStore_.flush();
}

GuardDeps GuardServices::deps() const {
  GuardDeps d;
  d.bans = const_cast<guard::BanList*>(&bans_);
  d.events = const_cast<guard::EventLog*>(&eventLog_);
  d.acl = acl();
  return d;
}

std::shared_ptr<const guard::acl::ZoneAcl> GuardServices::acl() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return acl_;
}

void GuardServices::reload(config::ConfigPtr config) {
  std::shared_ptr<const guard::acl::ZoneAcl> acl;
  try {
    acl = buildAcl(*config);
  } catch (const std::exception& e) {
    TG_LOG(kGuard, err, "{}; keeping the previous ACL", e.what());
    acl = this->acl();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    config_ = config;
    acl_ = acl;
  }
  bans_.setTrusted(guard::trustedNetworks(*config));
  bans_.setPolicy(guard::BanPolicy::from(config->guard.bans));
  eventLog_.setSettings(config->guard.events);
  importBlocklists(*config);
}

void GuardServices::start() {
  thread_ = std::thread([this] { run(); });
  fetcher_->start();
}

void GuardServices::run() {
  std::unique_lock<std::mutex> lock(stopMutex_);
  while (!stopCv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
    lock.unlock();
    syncNow();
    lock.lock();
  }
}

void GuardServices::syncNow() {
  std::lock_guard<std::mutex> lock(syncMutex_);
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
  eventLog_.expire();
  // Retention and pruning once a minute: they scan tables.
  if (++passes_ % 60 == 1) {
    config::ConfigPtr c;
    {
      std::lock_guard<std::mutex> l(mutex_);
      c = config_;
    }
    const int64_t now = epochMs(clock_.wallNow());
    const int64_t forgetBefore =
        now - std::chrono::duration_cast<std::chrono::milliseconds>(c->guard.bans.forgetAfter)
                  .count();
    if (std::string e = store_.prune(now, forgetBefore); !e.empty()) {
      TG_LOG(kGuard, warn, "could not prune expired bans: {}", e);
    }
    eventStore_.pruneOlderThan(
        now - std::chrono::duration_cast<std::chrono::milliseconds>(c->guard.events.retention)
                  .count());
  }
  if (extraTask_) extraTask_();
}

void GuardServices::restoreFromStore() {
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

void GuardServices::importBlocklists(const config::Config& config) {
  const config::BanSettings& settings = config.guard.bans;
  std::vector<guard::IpPrefix> networks;
  for (const std::string& path : settings.blocklistFiles) {
    guard::Blocklist list = guard::readBlocklistFile(path);
    if (!list.ok()) {
      TG_LOG(kGuard, err, "blocklist {}: {}", path, list.error);
      continue;
    }
    for (const guard::BlocklistProblem& p : list.problems) {
      TG_LOG(kGuard, warn, "blocklist {}:{}: skipped '{}': {}", path, p.line, p.text, p.message);
    }
    networks.insert(networks.end(), list.networks.begin(), list.networks.end());
    TG_LOG(kGuard, info, "blocklist {}: {} networks", path, list.networks.size());
  }
  std::optional<size_t> banned;
  {
    std::lock_guard<std::mutex> lock(feedMutex_);
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

size_t GuardServices::replaceBlocklistBans() {
  std::vector<guard::IpPrefix> all = fileNetworks_;
  all.insert(all.end(), urlNetworks_.begin(), urlNetworks_.end());
  return bans_.replaceBlocklist(all, "blocklist", clock_.now());
}

std::optional<guard::PullOutcome> GuardServices::applyPulledFeed(const std::string& url,
                                                                 const guard::Blocklist& feed) {
  std::lock_guard<std::mutex> lock(feedMutex_);
  if (url != blocklistUrl_) return std::nullopt;
  const base::TimePoint now = clock_.now();
  const auto bannedNow = [&](const guard::IpPrefix& network) {
    const std::optional<guard::Ban> ban = bans_.find(network);
    return ban && ban->activeAt(now);
  };
  std::vector<bool> before;
  before.reserve(feed.networks.size());
  for (const guard::IpPrefix& network : feed.networks) before.push_back(bannedNow(network));
  urlNetworks_ = feed.networks;
  replaceBlocklistBans();
  guard::PullOutcome outcome;
  for (size_t i = 0; i < feed.networks.size(); ++i) {
    if (!bannedNow(feed.networks[i])) continue;
    ++outcome.banned;
    if (!before[i]) ++outcome.added;
  }
  return outcome;
}

}  // namespace tg::app
