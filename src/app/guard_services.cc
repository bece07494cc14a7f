#include "app/guard_services.h"

#include <stdexcept>

#include "app/secrets_at_rest.h"
#include "auth/digest_server.h"
#include "base/log.h"
#include "guard/policy/call_policy.h"

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

// Each kind of key has its own cap, the one its component configures, so a flood of one kind
// (the user names of a credential-stuffing run) evicts only its own kind, oldest first: never
// the nonce counts, another table's lockouts or the call policy's counters.
std::vector<store::KeyFamily> storeFamilies(const config::Config& config) {
  const size_t lockouts = config.accounts.lockout.maxTracked;
  return {
      {std::string(auth::DigestServer::kNonceKeyPrefix), config.accounts.nonce.maxTracked},
      {"lockout:a:", lockouts},
      {"lockout:p:", lockouts},
      {"lockout:s:", lockouts},
      {"lockout:i:", lockouts},
      // The learned digest-algorithm state (auth::AlgorithmPreferences): one key per claimed
      // name and User-Agent, so a stuffing run with fresh names fills its own family only,
      // capped like the lockout tables (it took the store's 1,000,000 free keys before).
      {"digestalg:", lockouts},
      {std::string(guard::policy::CallPolicy::kKeyPrefix), guard::policy::CallPolicy::kMaxKeys},
  };
}

store::RedisStoreOptions redisOptions(const config::StoreSettings& s) {
  store::RedisStoreOptions o;
  o.link.endpoint.host = s.host;
  o.link.endpoint.port = s.port;
  o.link.endpoint.database = s.database;
  o.link.endpoint.username = s.username;
  o.link.endpoint.password = s.password.reveal();
  o.link.timeout = s.timeout;
  o.nodeId = s.nodeId;
  o.nodes = s.nodes;
  o.refuseOnFailure = s.onFailure == config::StoreSettings::OnFailure::kRefuse;
  return o;
}

}  // namespace

GuardServices::GuardServices(config::ConfigPtr config, const base::Clock& clock)
    : clock_(clock),
      config_(config),
      acl_(buildAcl(*config)),
      store_(clock, store::MemoryStoreOptions{}, storeFamilies(*config)),
      bans_(clock, guard::BanPolicy::from(config->guard.bans)),
      banSync_(bans_, *config, clock),
      eventStore_(config->database.path),
      eventLog_(clock, config->guard.events, &eventStore_) {
  if (const int sealed = sealSecretsAtStart(*config); sealed > 0) {
    TG_LOG(kMain, info, "sealed {} admin TOTP secret(s) found in the clear", sealed);
  }
  std::vector<std::string> skipped;
  if (const int sealed = sealProviderPasswordsAtStart(*config, &skipped); sealed > 0) {
    TG_LOG(kMain, info, "sealed {} provider password file(s) found in the clear", sealed);
  }
  for (const std::string& s : skipped) TG_LOG(kMain, warn, "{}", s);
  if (config->store.type == config::StoreSettings::Type::kRedis) {
    redis_ = std::make_unique<store::RedisStore>(
        redisOptions(config->store), clock,
        [this](store::redis::LinkState state, const std::string& why) {
          storeStateChanged(state, why);
        });
    banShare_ = std::make_unique<BanShare>(bans_, *redis_, config->store.nodeId, clock);
  }
}

// Redis went away or came back: every node's operators see it among the security events,
// because while it is away limits are counted per gateway (divided by store.nodes).
void GuardServices::storeStateChanged(store::redis::LinkState state, const std::string& why) {
  config::ConfigPtr c;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    c = config_;
  }
  guard::SecurityEvent e;
  e.time = clock_.wallNow();
  e.zone = transport::Zone::kPbx;
  // One rule per state: the event log folds repeats of one rule within its repeat interval.
  e.rule = "store.redis." + std::string(store::redis::linkStateName(state));
  e.reason = why;
  switch (state) {
    case store::redis::LinkState::kUp:
      e.action = "shared";  // counters are shared again
      break;
    case store::redis::LinkState::kSlow:
    case store::redis::LinkState::kDown:
    case store::redis::LinkState::kConnecting:
      e.action = c->store.onFailure == config::StoreSettings::OnFailure::kRefuse
                     ? "refuse limited calls"
                     : "local limits / " + std::to_string(c->store.nodes);
      break;
  }
  e.sample = "redis store " + std::string(store::redis::linkStateName(state));
  eventLog_.record(std::move(e));
}

GuardServices::~GuardServices() {
  banShare_.reset();  // its thread reads the bans, its subscription writes them
  banSync_.stop();    // its pull thread applies feeds to what is destroyed below
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
  banSync_.reload(*config);
  eventLog_.setSettings(config->guard.events);
}

void GuardServices::start() {
  thread_ = std::thread([this] { run(); });
  banSync_.start();
  if (banShare_) banShare_->start();
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
  // Retention and pruning once a minute: they scan tables.
  const bool prune = ++passes_ % 60 == 1;
  banSync_.syncNow(prune);
  eventLog_.expire();
  store_.sweep();
  if (redis_) redis_->local().sweep();
  if (prune) {
    config::ConfigPtr c;
    {
      std::lock_guard<std::mutex> l(mutex_);
      c = config_;
    }
    const int64_t now = epochMs(clock_.wallNow());
    eventStore_.pruneOlderThan(
        now -
        std::chrono::duration_cast<std::chrono::milliseconds>(c->guard.events.retention).count());
  }
  if (extraTask_) extraTask_();
}

}  // namespace tg::app
