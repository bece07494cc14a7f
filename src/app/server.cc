#include "app/server.h"

#include <malloc.h>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <future>

#include "app/admin_api/admin_server.h"
#include "app/admin_api/gateway_backend.h"
#include "app/alerts/alert_dispatcher.h"
#include "app/capture/hep_exporter.h"
#include "app/guard_services.h"
#include "app/status_report.h"
#include "auth/auth_service.h"
#include "base/log.h"
#include "build_info.h"
#include "config/capture_config.h"
#include "config/config_loader.h"
#include "db/cdr_history.h"
#include "db/cdr_store.h"
#include "guard/fraud/fraud_detector.h"
#include "guard/policy/call_policy.h"
#include "media/media_anchor.h"
#include "media/relay_engine.h"
#include "sip/uri.h"

namespace tg::app {
namespace {

// How long snapshot() and call control wait for a busy worker before leaving it out.
constexpr auto kAskTimeout = std::chrono::seconds(2);

// Spend caps count the last 24 hours: what calls cost before a restart still counts, so
// restarting the gateway never hands a fraudster a fresh budget.
// A shared store's answers to what this worker asked come back on its own loop (RedisStore).
void postStoreAnswersTo(asio::io_context& io, Gateway& worker) {
  store::RedisStore::setThreadPost([&io, &worker](std::function<void()> task) {
    asio::post(io, [&worker, task = std::move(task)] { worker.runPosted(task); });
  });
}

void restoreSpend(guard::policy::CallPolicy& policy, db::CdrStore& cdrs) {
  const base::Clock& clock = base::SystemClock::instance();
  const base::SystemTime wallNow = clock.wallNow();
  const base::TimePoint now = clock.now();
  size_t counted = 0;
  double total = 0;
  for (const db::CdrRecord& r : cdrs.costedSince(wallNow - std::chrono::hours(24))) {
    if (!r.endTime || r.policyRule.empty()) continue;
    const auto ago = std::chrono::duration_cast<base::Duration>(wallNow - *r.endTime);
    if (policy.restoreSpend(r.policyRule, r.account, now - ago, r.cost)) {
      ++counted;
      total += r.cost;
    }
  }
  if (counted > 0) {
    TG_LOG(kMain, info, "spend caps: counted again {} ended call(s) of the last 24 hours ({:.2f})",
           counted, total);
  }
}

// The fraud detectors' baselines (hours of the week, countries, concurrency) come back from the
// CDRs of the learning window: a restart must not make every account look new, which would
// either flag everyone's first international call or, worse, forget a hijacked account's
// minutes-old test calls. The Wangiri memory (one-ring inbound calls from risky numbers) comes
// back too, the callers' numbers classified by the call policy as live calls are.
void restoreFraudBaselines(guard::fraud::FraudDetector& fraud,
                           const guard::policy::CallPolicy& policy, const config::Config& cfg) {
  if (!cfg.fraud.enabled) return;
  const base::Clock& clock = base::SystemClock::instance();
  const base::SystemTime wallNow = clock.wallNow();
  const base::TimePoint now = clock.now();
  try {
    guard::fraud::PastCall past;
    const size_t n = db::forEachOutboundCallSince(cfg.database.path, wallNow - cfg.fraud.learning,
                                                  [&](const db::PastCall& call) {
                                                    past.account = call.account;
                                                    past.e164 = call.dialledE164;
                                                    past.destinationClass = call.destinationClass;
                                                    past.start = call.start;
                                                    past.end = call.end;
                                                    past.endedByGateway = call.endedByGateway;
                                                    fraud.restore(past, wallNow, now);
                                                  });
    const size_t rings = db::forEachUnansweredInboundCallSince(
        cfg.database.path, wallNow - cfg.fraud.wangiriMemory, [&](const db::PastRing& ring) {
          const sip::Result<sip::Uri> from = sip::parseUri(ring.fromUri);
          if (!from) return;
          const guard::policy::NumberFacts caller =
              policy.classify(from->user, transport::Zone::kTrunk);
          fraud.restoreRing(caller.e164, caller.destinationClass, ring.start, ring.end, wallNow,
                            now);
        });
    fraud.restoreDone();
    if (n + rings > 0) {
      TG_LOG(kMain, info,
             "fraud: learnt again from {} call(s) and {} unanswered inbound call(s) "
             "of the CDRs",
             n, rings);
    }
  } catch (const std::exception& e) {
    fraud.restoreDone();
    TG_LOG(kMain, warn, "fraud: baselines start empty, the CDRs could not be read: {}", e.what());
  }
}

// At the start and on a reload that changed `alerts` (docs/alerts.md): the section as the file
// has it now. The dispatcher, once made, lives until the gateway stops (the event log may be
// handing it an event at any moment); a section taken away leaves it matching nothing.
void applyAlertSettings(const std::string& configPath, const std::string& cdrPath,
                        std::unique_ptr<alerts::AlertDispatcher>& dispatcher,
                        GuardServices& guard) {
  std::optional<config::AlertSettings> settings = config::loadAlertSettings(configPath);
  if (!settings) {
    if (!dispatcher) return;
    config::AlertSettings off;
    off.events.clear();
    dispatcher->reconfigure(std::move(off));
    TG_LOG(kMain, info, "alerts: off (no alerts section)");
    return;
  }
  TG_LOG(kMain, info, "alerts: {} webhook(s), {} syslog target(s), {} mail target(s)",
         settings->webhooks.size(), settings->syslog.size(), settings->mail.size());
  if (dispatcher) {
    dispatcher->reconfigure(std::move(*settings));
    return;
  }
  dispatcher = std::make_unique<alerts::AlertDispatcher>(std::move(*settings));
  dispatcher->setCdrDatabase(cdrPath);
  guard.events().setObserver(dispatcher.get());
  dispatcher->start();
}

}  // namespace

log::Settings logSettings(const config::Config& c) {
  log::Settings s;
  s.level = c.log.level;
  s.format = c.log.format;
  s.modules = c.log.modules;
  s.output = c.log.output;
  s.file = c.log.file;
  s.syslogSocket = c.log.syslogSocket;
  return s;
}

Server::Server(std::string configPath, config::ConfigPtr config)
    : configPath_(std::move(configPath)), config_(std::move(config)) {}

Server::~Server() {
  if (admin_) admin_->stop();
  if (alerts_) {
    guard_->events().setObserver(nullptr);
    alerts_->stop();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::unique_ptr<Server> Server::create(std::string configPath, config::ConfigPtr config,
                                       std::string* error) {
  std::unique_ptr<Server> server(new Server(std::move(configPath), std::move(config)));
  if (std::string why = server->open(); !why.empty()) {
    if (error != nullptr) *error = std::move(why);
    return nullptr;
  }
  return server;
}

std::string Server::open() {
  const config::Config& cfg = *config_;
  const base::Clock& clock = base::SystemClock::instance();
  try {
    cdrs_ = std::make_unique<db::CdrStore>(cfg.database.path);
  } catch (const std::exception& e) {
    return std::string("cannot open the call record database: ") + e.what();
  }
  try {
    guard_ = std::make_unique<GuardServices>(config_, clock);
  } catch (const std::exception& e) {
    return std::string("cannot start the perimeter defense: ") + e.what();
  }

  // Remote phones: one account directory and binding table for all workers, kept up to date by
  // the guard's maintenance thread (SQLite stays off the workers).
  bindings_ = std::make_shared<b2bua::Bindings>(clock);
  if (cfg.publicZone) {
    try {
      phones_ = std::make_shared<auth::AuthService>(cfg, clock, &guard_->bans(), &guard_->events(),
                                                    &guard_->store());
    } catch (const std::exception& e) {
      return std::string("cannot start the remote-phone accounts: ") + e.what();
    }
    for (const std::string& p : phones_->startupProblems()) {
      TG_LOG(kMain, warn, "accounts: {}", p);
    }
    guard_->setExtraTask([phones = phones_, bindings = bindings_] {
      for (const std::string& p : phones->housekeeping()) TG_LOG(kMain, warn, "accounts: {}", p);
      bindings->expire();
    });
  }

  // One engine for every worker (it is thread-safe), created even when disabled so that a
  // reload can turn it on.
  std::string policyError;
  // Its counters live in the process's state store (docs/architecture.md "Shared state").
  // With `store.type: redis` that is Redis, shared by the cluster (docs/cluster.md).
  policy_ =
      guard::policy::CallPolicy::create(cfg.policy, &policyError, &guard_->sharedStore(), &clock);
  if (!policy_) return "cannot start the call policy: " + policyError;
  restoreSpend(*policy_, *cdrs_);
  fraud_ = std::make_unique<guard::fraud::FraudDetector>(cfg.fraud);
  restoreFraudBaselines(*fraud_, *policy_, cfg);
  // STIR/SHAKEN: one verifier (trust anchors, certificate cache, fetch threads) for every
  // worker. Turning identity on needs a restart: a reload cannot create it.
  if (cfg.identity.enabled) {
    auto trust = identity::TrustStore::fromFile(cfg.identity.trustBundle);
    if (!trust) {
      return "identity.trust_bundle " + cfg.identity.trustBundle + ": " +
             std::string(trust.error());
    }
    identity_ = std::make_unique<identity::IdentityVerifier>(cfg.identity, *trust);
  }

  // The media relay: its threads start with the workers (start()); the pool of ports is one
  // for every worker's calls.
  if (cfg.media.anchor) {
    media_ = std::make_unique<media::RelayEngine>(
        cfg.media.portMin, cfg.media.portMax,
        media::RelayEngine::threadsFor(cfg.media, cfg.workers));
  }

  GuardDeps deps = guard_->deps();
  deps.auth = phones_.get();
  deps.bindings = bindings_.get();
  const size_t workers = static_cast<size_t>(std::max(1, cfg.workers));
  for (size_t i = 0; i < workers; ++i) {
    ios_.push_back(std::make_unique<asio::io_context>(1));
    gateways_.push_back(
        std::make_unique<Gateway>(*ios_[i], config_, cdrs_.get(), clock, Shard{i, workers}, deps));
    peers_.push_back(gateways_.back().get());
  }
  wireWorkers();
  // SIP capture is read at start only, like alerts (docs/capture.md).
  if (auto hep = config::loadHepSettings(configPath_)) {
    capture_ = std::make_unique<capture::HepExporter>(std::move(*hep), workers);
    for (size_t i = 0; i < workers; ++i) gateways_[i]->transport().setCaptureTap(capture_->tap(i));
  }
  return {};
}

void Server::watchMedia(Gateway& g, media::MediaAnchor& anchor) {
  g.timers().schedule(std::chrono::seconds(1), [this, &g, &anchor] {
    for (uint64_t id : anchor.silentCalls(media::RelayEngine::nowMs())) {
      g.b2bua().endCall(id, b2bua::EndCause::kMediaTimeout,
                        "media-timeout: no media in either direction");
    }
    anchor.reportOverRate();  // one security event per call whose media hit the ceilings
    watchMedia(g, anchor);
  });
}

void Server::wireWorkers() {
  const bool several = gateways_.size() > 1;
  for (auto& g : gateways_) {
    if (several) g->setPeers(peers_);
    b2bua::B2bua& b2b = g->b2bua();
    b2b.setCallPolicy(policy_.get());
    b2b.setFraudDetector(fraud_.get());
    b2b.setEventSink(&guard_->events());
    if (identity_) {
      asio::io_context* io = &g->io();
      b2b.setIdentityVerifier(identity_.get(),
                              [io](std::function<void()> fn) { asio::post(*io, std::move(fn)); });
    }
    if (media_) {
      anchors_.push_back(std::make_unique<media::MediaAnchor>(*media_, *config_));
      anchors_.back()->setEventSink(&guard_->events());
      b2b.setOfferAnswer(anchors_.back().get());
      b2b.addObserver(anchors_.back().get());
      watchMedia(*g, *anchors_.back());
    }
    if (!several) continue;
    // A spend cap reported to this worker may hit calls that live on another one.
    Gateway* self = g.get();
    b2b.setForeignCapHandler([this, self](std::vector<uint64_t> handles) {
      for (Gateway* other : peers_) {
        if (other == self) continue;
        asio::post(other->io(), [other, handles] {
          other->b2bua().endPolicyCalls(handles, "spend cap reached");
        });
      }
    });
  }
}

std::string Server::start() {
  const std::string controlPath = config_->database.controlSocketPath();
  if (!controlPath.empty()) {
    if (std::string error = control_.open(controlPath); !error.empty()) return error;
  }
  if (std::string error = openAdminApi(); !error.empty()) {
    control_.stop();
    return error;
  }
  for (auto& g : gateways_) {
    if (std::string error = g->start(); !error.empty()) {
      for (auto& other : gateways_) other->stop();
      control_.stop();
      admin_.reset();
      return error;
    }
  }
  if (media_) {
    if (std::string error = media_->start(); !error.empty()) {
      for (auto& g : gateways_) g->stop();
      control_.stop();
      return error;
    }
    TG_LOG(kMain, info, "media relay: {} thread(s), ports {}-{}", media_->threadCount(),
           config_->media.portMin, config_->media.portMax);
  }
  guard_->start();
  if (capture_) {
    const config::HepSettings& hep = capture_->settings();
    TG_LOG(kMain, info, "capture: HEP v3 to {}://{} (agent id {})", hep.tcp ? "tcp" : "udp",
           hep.collector.toString(), hep.agentId);
    capture_->start();
  }
  applyAlertSettings(configPath_, config_->database.path, alerts_, *guard_);
  scheduleHousekeeping();
  startedAt_ = std::chrono::steady_clock::now();
  running_ = true;  // from now on the workers' state is read on their own threads
  control_.start([this] { return statusDocument(status()); });
  if (admin_) admin_->start();
  return {};
}

std::string Server::openAdminApi() {
  if (!config_->admin) return {};
  try {
    adminBackend_ = std::make_unique<admin_api::GatewayBackend>(*this, *config_);
  } catch (const std::exception& e) {
    return std::string("cannot start the admin API: ") + e.what();
  }
  admin_ = std::make_unique<admin_api::AdminServer>();
  if (std::string error = admin_->open(*config_->admin, *adminBackend_); !error.empty()) {
    admin_.reset();
    return error;
  }
  return {};
}

void Server::scheduleHousekeeping() {
  policyTimer_ = std::make_unique<asio::steady_timer>(mainIo());
  trimTimer_ = std::make_unique<asio::steady_timer>(mainIo());
  waitPolicyTick();
  waitTrimTick();
}

// The policy's rate windows and lockouts age out once a second (bounded memory).
void Server::waitPolicyTick() {
  policyTimer_->expires_after(std::chrono::seconds(1));
  policyTimer_->async_wait([this](const std::error_code& ec) {
    if (ec) return;
    policy_->expire(base::SystemClock::instance().now());
    // This is worker 0's thread: its health monitor's view is the one the alerts watch.
    if (alerts_) alerts_->watchPeers(gateways_[0]->b2bua().health().peers());
    // The fraud detectors' memories age in minutes: once a minute is enough.
    if (++policyTicks_ % 60 == 0) fraud_->expire(base::SystemClock::instance().now());
    waitPolicyTick();
  });
}

// Transactions linger 64*T1 after their calls move on; once they are gone, give the freed heap
// back so the resident size follows the live calls instead of the busiest minute.
void Server::waitTrimTick() {
  trimTimer_->expires_after(std::chrono::seconds(30));
  trimTimer_->async_wait([this](const std::error_code& ec) {
    if (ec) return;
    malloc_trim(0);
    waitTrimTick();
  });
}

void Server::run() {
  for (size_t i = 1; i < ios_.size(); ++i) {
    asio::io_context* io = ios_[i].get();
    Gateway* worker = gateways_[i].get();
    threads_.emplace_back([io, worker] {
      postStoreAnswersTo(*io, *worker);
      auto work = asio::make_work_guard(*io);  // idle workers wait for traffic, not exit
      io->run();
    });
  }
  postStoreAnswersTo(mainIo(), *gateways_[0]);
  mainIo().run();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  guard_->stopSharedStore();  // nothing is posted to the stopped loops from now on
  store::RedisStore::setThreadPost(nullptr);
  control_.stop();  // before the workers' state is read inline (running_ false)
  if (admin_) admin_->stop();
  running_ = false;
  cdrs_->flush();
  TG_LOG(kMain, info, "stopped; {} calls were still active", snapshot().activeCalls);
}

void Server::stop() {
  asio::post(mainIo(), [this] {
    if (stopping_) return;
    stopping_ = true;
    forEachWorker([](Gateway& g) {
      g.b2bua().endCallsWhere([](const b2bua::Call&) { return "gateway shutting down"; },
                              b2bua::EndCause::kShutdown);
    });
    shutdownTimer_ = std::make_unique<asio::steady_timer>(mainIo());
    shutdownTimer_->expires_after(std::chrono::milliseconds(300));
    shutdownTimer_->async_wait([this](const std::error_code&) { finishStop(); });
  });
}

void Server::finishStop() {
  if (trimTimer_) trimTimer_->cancel();
  if (policyTimer_) policyTimer_->cancel();
  forEachWorker([](Gateway& g) {
    // Calls whose far end did not finish in the grace period (a 487 that never came) still
    // get an end time: no CDR stays in progress across a restart.
    g.b2bua().endAllAtShutdown();
    g.stop();
    g.io().stop();
  });
}

ReloadResult Server::reload() {
  ReloadResult result;
  config::LoadResult next = config::loadConfigFile(configPath_);
  if (!next.ok()) {
    for (const config::ConfigError& e : next.errors) {
      TG_LOG(kConfig, err, "reload refused: {}", e.toString());
    }
    TG_LOG(kConfig, err, "reload refused: keeping the running configuration");
    result.refused = true;
    rememberReload(result);
    return result;
  }
  for (const std::string& w : next.warnings) TG_LOG(kConfig, warn, "{}", w);
  config::ConfigPtr fresh = next.config;
  result = planReload(*config_, *fresh);

  log::init(logSettings(*fresh));
  guard_->reload(fresh);
  if (std::string why; !policy_->reload(fresh->policy, &why)) {
    TG_LOG(kConfig, err, "call policy reload refused, keeping the running rules: {}", why);
    std::erase(result.applied, "policy");
    result.failed.push_back("policy (" + why + ")");
  }
  fraud_->reload(fresh->fraud);
  if (std::ranges::find(result.applied, "alerts") != result.applied.end())
    applyAlertSettings(configPath_, config_->database.path, alerts_, *guard_);
  if (phones_) phones_->lockout().setPolicy(auth::LockoutPolicy::from(fresh->accounts.lockout));
  forEachWorker([fresh, acl = guard_->acl()](Gateway& g) { g.reload(fresh, acl); });
  config_ = fresh;

  rememberReload(result);
  const std::string line = "configuration reloaded from " + configPath_ + "; " + result.summary();
  if (result.needsRestart.empty() && result.failed.empty()) {
    TG_LOG(kConfig, info, "{}", line);
  } else {
    TG_LOG(kConfig, warn, "{}", line);
  }
  return result;
}

template <typename T>
std::vector<std::optional<T>> Server::askEachWorker(std::function<T(Gateway&)> ask) {
  std::vector<std::optional<T>> answers(gateways_.size());
  std::vector<std::pair<size_t, std::future<T>>> pending;
  for (size_t i = 0; i < gateways_.size(); ++i) {
    if (std::optional<std::future<T>> later = post(i, ask, &answers[i])) {
      pending.emplace_back(i, std::move(*later));
    }
  }
  for (auto& [i, answer] : pending) {
    if (answer.wait_for(kAskTimeout) == std::future_status::ready) answers[i] = answer.get();
  }
  return answers;
}

template <typename T>
std::optional<T> Server::askWorker(size_t index, std::function<T(Gateway&)> ask) {
  std::optional<T> answer;
  if (std::optional<std::future<T>> later = post(index, ask, &answer)) {
    if (later->wait_for(kAskTimeout) == std::future_status::ready) answer = later->get();
  }
  return answer;
}

template <typename T>
std::optional<std::future<T>> Server::post(size_t index, std::function<T(Gateway&)> ask,
                                           std::optional<T>* inlineAnswer) {
  Gateway* g = gateways_[index].get();
  if (!running_ || g->io().get_executor().running_in_this_thread()) {
    *inlineAnswer = ask(*g);
    return std::nullopt;
  }
  auto task = std::make_shared<std::packaged_task<T()>>([ask, g] { return ask(*g); });
  std::future<T> answer = task->get_future();
  asio::post(g->io(), [task] { (*task)(); });
  return answer;
}

std::optional<ReloadResult> Server::reloadFromOutside() {
  return askWorker<ReloadResult>(0, [this](Gateway&) { return reload(); });
}

void Server::endCallsOfAccount(const std::string& account, const std::string& reason) {
  forEachWorker([account, reason](Gateway& g) {
    g.b2bua().endCallsWhere(
        [&](const b2bua::Call& call) -> std::string {
          return call.zoneA == transport::Zone::kPublic && call.account == account ? reason
                                                                                   : std::string();
        },
        b2bua::EndCause::kAccountLocked);
  });
}

ServerSnapshot Server::snapshot() {
  // Every counter is a relaxed atomic (base/counters.h) and the active-call count a gauge, so
  // they are read from here, whatever thread this is, without asking the workers.
  ServerSnapshot s;
  s.workers = gateways_.size();
  for (const auto& g : gateways_) {
    ++s.workersAnswered;
    s.activeCalls += g->b2bua().activeCallGauge();
    s.gateway += g->stats();
    s.calls += g->b2bua().stats();
    s.guard += g->guard().stats();
    s.largeRequests += g->largeRequestStats();
    s.filters += g->guard().filterStats();
    s.admission += g->b2bua().admissionStats();
    s.transport += g->transport().stats();
  }
  return s;
}

void Server::rememberReload(const ReloadResult& result) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  std::lock_guard lock(reloadMutex_);
  lastReload_ = result;
  lastReloadAt_ = std::chrono::duration_cast<std::chrono::seconds>(now).count();
}

StatusFacts Server::status() {
  StatusFacts f;
  f.version = std::string("trunkguard ") + build::kVersion;
  f.uptimeSeconds = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - startedAt_)
                        .count();
  f.snapshot = snapshot();
  struct WorkerView {
    std::vector<transport::LocalEndpoint> endpoints;
    std::vector<b2bua::PeerHealth> peers;
    std::vector<trunk::RegistrationStatus> registrations;
    config::ConfigPtr config;
  };
  const auto views = askEachWorker<WorkerView>([](Gateway& g) {
    WorkerView v{g.transport().endpoints(), g.b2bua().health().peers(), {}, g.config()};
    if (const trunk::RegistrationClient* r = g.trunk().registration())
      v.registrations = r->status();
    return v;
  });
  for (size_t i = 0; i < views.size(); ++i) {
    if (!views[i]) continue;
    const WorkerView& v = *views[i];
    if (f.registrations.empty()) f.registrations = v.registrations;
    if (!f.listeners.empty()) continue;  // every worker listens on the same addresses
    for (const transport::LocalEndpoint& e : v.endpoints) {
      f.listeners.push_back({std::string(transport::zoneName(e.zone)),
                             std::string(config::transportName(e.transport)),
                             e.address.toString()});
    }
    f.peers = v.peers;
    for (const config::Provider& p : v.config->trunk.providers) f.providers.push_back(p.name);
    f.healthChecks = v.config->health.interval.count() > 0;
    f.store.node = v.config->store.nodeId;
  }
  f.bans = guard_->bans().size();
  if (capture_) f.capture = capture_->stats();
  if (const store::RedisStore* redis = guard_->redis()) {
    const store::redis::LinkStats st = redis->stats();
    f.store.type = "redis";
    f.store.state = std::string(store::redis::linkStateName(st.state));
    f.store.commands = st.sent;
    f.store.timedOut = st.timedOut;
    f.store.localAnswers = redis->localAnswers();
    f.store.connects = st.connects;
  }
  std::lock_guard lock(reloadMutex_);
  if (lastReload_) f.lastReload = LastReload{*lastReload_, lastReloadAt_};
  return f;
}

std::vector<CallEntry> Server::listCalls() {
  // Each worker answers for its calls and, through its own media anchor, their media.
  const auto perWorker = askEachWorker<std::vector<CallEntry>>([this](Gateway& g) {
    const media::MediaAnchor* anchor = nullptr;
    for (size_t k = 0; k < gateways_.size() && k < anchors_.size(); ++k) {
      if (gateways_[k].get() == &g) anchor = anchors_[k].get();
    }
    std::vector<CallEntry> calls;
    for (const b2bua::CallSummary& c : g.b2bua().activeCalls()) {
      CallEntry e{0, c, std::nullopt};
      if (anchor != nullptr) e.media = anchor->liveMedia(c.id);
      calls.push_back(std::move(e));
    }
    return calls;
  });
  std::vector<CallEntry> out;
  for (size_t i = 0; i < perWorker.size(); ++i) {
    if (!perWorker[i]) continue;
    for (const CallEntry& e : *perWorker[i]) {
      out.push_back(e);
      out.back().worker = i;
    }
  }
  return out;
}

bool Server::endCall(std::string_view uuid, std::string_view reason, b2bua::EndCause cause) {
  // A call's uuid hashes to its worker (idOfShard), so exactly one worker is asked.
  const size_t owner = shardOf(uuid, gateways_.size());
  const auto ended = askWorker<bool>(
      owner, [uuid = std::string(uuid), reason = std::string(reason), cause](Gateway& g) {
        return g.b2bua().endCallByUuid(uuid, cause, reason);
      });
  return ended.value_or(false);
}

void Server::forEachWorker(std::function<void(Gateway&)> fn) {
  for (auto& g : gateways_) {
    Gateway* gp = g.get();
    asio::post(gp->io(), [gp, fn] { fn(*gp); });
  }
}

}  // namespace tg::app
