#include "app/run_command.h"

#include <fmt/format.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <malloc.h>

#include <csignal>
#include <functional>
#include <ostream>
#include <thread>
#include <vector>

#include "app/gateway.h"
#include "app/guard_services.h"
#include "auth/auth_service.h"
#include "b2bua/bindings.h"
#include "base/log.h"
#include "base/service_notify.h"
#include "config/config_loader.h"
#include "db/cdr_store.h"
#include "guard/policy/call_policy.h"

namespace tg::app {
namespace {

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

void printStartup(const config::Config& c, Gateway& gw, std::ostream& out) {
  out << "trunkguard listening:\n";
  for (const transport::LocalEndpoint& e : gw.transport().endpoints()) {
    out << fmt::format("  {:<6} {}://{}\n", transport::zoneName(e.zone),
                       config::transportName(e.transport), e.address.toString());
  }
  out << "providers (in priority order):\n";
  for (const config::Provider& p : c.trunk.providers) {
    std::string encryption = "UNENCRYPTED (allow_plaintext: true)";
    if (p.target.transport == config::TransportKind::kTls) {
      const std::string& name = config::expectedServerName(p.tls, p.target.host);
      encryption = p.tls.verify ? "tls (verified as " + name + ", " +
                                      (p.tls.caFile.empty() ? "system CAs" : p.tls.caFile) + ")"
                                : "tls (NOT VERIFIED: verify: false)";
      if (!p.tls.clientCertificate.empty()) encryption += ", client certificate";
    }
    out << fmt::format("  {:<16} {}://{}:{}  {}\n", p.name, config::transportName(p.target.transport),
                       p.target.host, p.target.port, encryption);
  }
  out << "pbx:\n";
  for (const config::PeerTarget& t : c.pbx.targets) {
    out << fmt::format("  {}://{}:{}  {}\n", config::transportName(t.transport), t.host, t.port,
                       t.transport == config::TransportKind::kTls ? "tls (verified)"
                                                                    : "unencrypted");
  }
  if (!c.tls.certificate.empty()) {
    out << fmt::format("tls: certificate {}, TLS {}+, handshake timeout {} ms{}\n",
                       c.tls.certificate, config::tlsVersionName(c.tls.minVersion),
                       c.tls.handshakeTimeout.count(),
                       c.tls.caFile.empty() ? "" : ", client certificates required");
  }
  out << "call records: " << c.database.path << "\n";
  out << "stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP reloads the config\n";
  out.flush();
}

// Spend caps count the last 24 hours: what calls cost before a restart still counts, so
// restarting the gateway never hands a fraudster a fresh budget.
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

}  // namespace

int runGateway(const std::string& configPath, std::ostream& out, std::ostream& err) {
  config::LoadResult loaded = config::loadConfigFile(configPath);
  if (!loaded.ok()) {
    for (const config::ConfigError& e : loaded.errors) err << e.toString() << "\n";
    err << "trunkguard: the configuration has errors; fix them and start again "
           "(`trunkguard check-config "
        << configPath << "` lists them)\n";
    return 1;
  }
  config::ConfigPtr cfg = loaded.config;
  log::init(logSettings(*cfg));
  for (const std::string& w : loaded.warnings) TG_LOG(kConfig, warn, "{}", w);

  std::unique_ptr<db::CdrStore> cdrs;
  try {
    cdrs = std::make_unique<db::CdrStore>(cfg->database.path);
  } catch (const std::exception& e) {
    err << "trunkguard: cannot open the call record database: " << e.what() << "\n";
    return 1;
  }

  std::unique_ptr<GuardServices> guard;
  try {
    guard = std::make_unique<GuardServices>(cfg, base::SystemClock::instance());
  } catch (const std::exception& e) {
    err << "trunkguard: cannot start the perimeter defense: " << e.what() << "\n";
    return 1;
  }

  // Remote phones: one account directory and binding table for all workers, kept up to date by
  // the guard's maintenance thread (SQLite stays off the workers). Shared pointers: that
  // thread's last pass runs while the guard services are destroyed.
  std::shared_ptr<auth::AuthService> phones;
  auto bindings = std::make_shared<b2bua::Bindings>(base::SystemClock::instance());
  if (cfg->publicZone) {
    try {
      phones = std::make_shared<auth::AuthService>(*cfg, base::SystemClock::instance(),
                                                   &guard->bans(), &guard->events());
    } catch (const std::exception& e) {
      err << "trunkguard: cannot start the remote-phone accounts: " << e.what() << "\n";
      return 1;
    }
    for (const std::string& p : phones->startupProblems()) TG_LOG(kMain, warn, "accounts: {}", p);
    guard->setExtraTask([phones, bindings] {
      for (const std::string& p : phones->housekeeping()) {
        TG_LOG(kMain, warn, "accounts: {}", p);
      }
      bindings->expire();
    });
  }
  GuardDeps deps = guard->deps();
  deps.auth = phones.get();
  deps.bindings = bindings.get();

  // The call policy: one engine for every worker (it is thread-safe), created even when
  // disabled so that a reload can turn it on. Declared before the gateways: their B2BUAs
  // report the end of their calls to it when they go.
  std::string policyError;
  std::unique_ptr<guard::policy::CallPolicy> policy =
      guard::policy::CallPolicy::create(cfg->policy, &policyError);
  if (!policy) {
    err << "trunkguard: cannot start the call policy: " << policyError << "\n";
    return 1;
  }
  restoreSpend(*policy, *cdrs);

  // One io_context and one Gateway per worker; worker 0 runs on this thread and also owns the
  // TCP connections and the signal handling.
  const size_t workers = static_cast<size_t>(std::max(1, cfg->workers));
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<std::unique_ptr<Gateway>> gateways;
  std::vector<Gateway*> peers;
  for (size_t i = 0; i < workers; ++i) {
    ios.push_back(std::make_unique<asio::io_context>(1));
    gateways.push_back(std::make_unique<Gateway>(*ios[i], cfg, cdrs.get(),
                                                 base::SystemClock::instance(),
                                                 Shard{i, workers}, deps));
    peers.push_back(gateways.back().get());
  }
  for (auto& g : gateways) {
    if (workers > 1) g->setPeers(peers);
    b2bua::B2bua& b2b = g->b2bua();
    b2b.setCallPolicy(policy.get());
    b2b.setEventSink(&guard->events());
    if (workers > 1) {
      // A spend cap reported to this worker may hit calls that live on another one.
      Gateway* self = g.get();
      b2b.setForeignCapHandler([self, &peers](std::vector<uint64_t> handles) {
        for (Gateway* other : peers) {
          if (other == self) continue;
          asio::post(other->io(), [other, handles] {
            other->b2bua().endPolicyCalls(handles, "spend cap reached");
          });
        }
      });
    }
  }
  for (auto& g : gateways) {
    if (std::string startError = g->start(); !startError.empty()) {
      err << "trunkguard: " << startError << "\n";
      for (auto& other : gateways) other->stop();
      return 1;
    }
  }
  guard->start();
  Gateway& first = *gateways[0];
  asio::io_context& io = *ios[0];
  printStartup(*cfg, first, out);
  base::ServiceNotifier serviceManager(io);  // systemd: ready now, keep-alives from worker 0
  serviceManager.ready(fmt::format("listening with {} worker(s)", workers));
  TG_LOG(kMain, info, "started with {} ({} worker{})", configPath, workers,
         workers == 1 ? "" : "s");

  auto onEachWorker = [&](std::function<void(Gateway&)> fn) {
    for (auto& g : gateways) {
      Gateway* gp = g.get();
      asio::post(gp->io(), [gp, fn] { fn(*gp); });
    }
  };

  // The policy's rate windows and lockouts age out once a second (bounded memory).
  asio::steady_timer policyTimer(io);
  std::function<void(const std::error_code&)> onPolicyTick = [&](const std::error_code& ec) {
    if (ec) return;
    policy->expire(base::SystemClock::instance().now());
    policyTimer.expires_after(std::chrono::seconds(1));
    policyTimer.async_wait(onPolicyTick);
  };
  policyTimer.expires_after(std::chrono::seconds(1));
  policyTimer.async_wait(onPolicyTick);

  // Transactions linger 64*T1 after their calls move on; once they are gone, give the freed
  // heap back so the resident size follows the live calls instead of the busiest minute.
  asio::steady_timer trimTimer(io);
  std::function<void(const std::error_code&)> onTrim = [&](const std::error_code& ec) {
    if (ec) return;
    malloc_trim(0);
    trimTimer.expires_after(std::chrono::seconds(30));
    trimTimer.async_wait(onTrim);
  };
  trimTimer.expires_after(std::chrono::seconds(30));
  trimTimer.async_wait(onTrim);

  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  asio::steady_timer shutdownTimer(io);
  std::function<void(const std::error_code&, int)> onSignal;
  onSignal = [&](const std::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      config::LoadResult next = config::loadConfigFile(configPath);
      if (!next.ok()) {
        for (const config::ConfigError& e : next.errors) {
          TG_LOG(kConfig, err, "reload refused: {}", e.toString());
        }
        TG_LOG(kConfig, err, "reload refused: keeping the running configuration");
      } else {
        for (const std::string& w : next.warnings) TG_LOG(kConfig, warn, "{}", w);
        log::init(logSettings(*next.config));
        config::ConfigPtr fresh = next.config;
        guard->reload(fresh);
        if (std::string e; !policy->reload(fresh->policy, &e)) {
          TG_LOG(kConfig, err, "call policy reload refused, keeping the running rules: {}", e);
        }
        onEachWorker([fresh, acl = guard->acl()](Gateway& g) { g.reload(fresh, acl); });
        TG_LOG(kConfig, info, "configuration reloaded from {}", configPath);
      }
      signals.async_wait(onSignal);
      return;
    }
    // End active calls properly (BYE on both legs, CDRs closed) on the worker that owns each,
    // give the BYEs a moment to leave, then stop every worker.
    TG_LOG(kMain, info, "stopping ({}); ending active calls",
           signo == SIGINT ? "SIGINT" : "SIGTERM");
    onEachWorker([](Gateway& g) {
      for (const b2bua::CallSummary& c : g.b2bua().activeCalls()) {
        g.b2bua().endCall(c.id, "gateway shutting down");
      }
    });
    shutdownTimer.expires_after(std::chrono::milliseconds(300));
    shutdownTimer.async_wait([&](const std::error_code&) {
      trimTimer.cancel();
      policyTimer.cancel();
      onEachWorker([](Gateway& g) {
        g.stop();
        g.io().stop();
      });
    });
  };
  signals.async_wait(onSignal);

  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) {
    asio::io_context* wio = ios[i].get();
    threads.emplace_back([wio] {
      auto work = asio::make_work_guard(*wio);  // idle workers wait for traffic, not exit
      wio->run();
    });
  }
  io.run();
  for (std::thread& t : threads) t.join();
  cdrs->flush();
  size_t active = 0;
  for (auto& g : gateways) active += g->b2bua().callCount();
  TG_LOG(kMain, info, "stopped; {} calls were still active", active);
  return 0;
}

}  // namespace tg::app
