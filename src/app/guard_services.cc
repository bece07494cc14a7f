#include "app/guard_services.h"

#include <stdexcept>

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
  bans_.setTrusted(guard::trustedNetworks(*config));
  restoreFromStore();
  store_.changedSinceLastCheck();  // the baseline: what we just read
  bans_.trackChanges(true);
  importBlocklists(*config);
  const size_t restored = bans_.size();
  if (restored > 0) TG_LOG(kGuard, info, "{} bans in force (restored and imported)", restored);
}

GuardServices::~GuardServices() {
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
  std::vector<guard::IpPrefix> networks;
  for (const std::string& path : config.guard.bans.blocklistFiles) {
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
  if (networks.empty() && config.guard.bans.blocklistFiles.empty()) return;
  const size_t banned = bans_.replaceBlocklist(networks, "blocklist", clock_.now());
  TG_LOG(kGuard, info, "blocklists: {} networks banned", banned);
}

}  // namespace tg::app
