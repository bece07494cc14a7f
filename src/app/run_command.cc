#include "app/run_command.h"

#include <fmt/format.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <csignal>
#include <ostream>

#include "app/gateway.h"
#include "base/log.h"
#include "config/config_loader.h"
#include "db/cdr_store.h"

namespace tg::app {
namespace {

log::Settings logSettings(const config::Config& c) {
  log::Settings s;
  s.level = c.log.level;
  s.format = c.log.format;
  s.modules = c.log.modules;
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
    out << fmt::format("  {:<16} {}://{}:{}  {}\n", p.name, config::transportName(p.target.transport),
                       p.target.host, p.target.port,
                       p.target.transport == config::TransportKind::kTls
                           ? "encrypted"
                           : "UNENCRYPTED (allow_plaintext: true)");
  }
  out << "pbx:\n";
  for (const config::PeerTarget& t : c.pbx.targets) {
    out << fmt::format("  {}://{}:{}\n", config::transportName(t.transport), t.host, t.port);
  }
  out << "call records: " << c.database.path << "\n";
  out << "stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP reloads the config\n";
  out.flush();
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
  if (cfg->workers > 1) {
    TG_LOG(kMain, warn, "workers: {} requested; this build runs the SIP path on one worker",
           cfg->workers);
  }

  std::unique_ptr<db::CdrStore> cdrs;
  try {
    cdrs = std::make_unique<db::CdrStore>(cfg->database.path);
  } catch (const std::exception& e) {
    err << "trunkguard: cannot open the call record database: " << e.what() << "\n";
    return 1;
  }

  asio::io_context io(1);
  Gateway gateway(io, cfg, cdrs.get());
  if (std::string startError = gateway.start(); !startError.empty()) {
    err << "trunkguard: " << startError << "\n";
    return 1;
  }
  printStartup(*cfg, gateway, out);
  TG_LOG(kMain, info, "started with {}", configPath);

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
        gateway.reload(next.config);
        TG_LOG(kConfig, info, "configuration reloaded from {}", configPath);
      }
      signals.async_wait(onSignal);
      return;
    }
    // End active calls properly (BYE on both legs, CDRs closed), give the BYEs a moment to
    // leave, then stop.
    const auto active = gateway.b2bua().activeCalls();
    TG_LOG(kMain, info, "stopping ({}); ending {} active calls",
           signo == SIGINT ? "SIGINT" : "SIGTERM", active.size());
    for (const b2bua::CallSummary& c : active) gateway.b2bua().endCall(c.id, "gateway shutting down");
    shutdownTimer.expires_after(std::chrono::milliseconds(active.empty() ? 0 : 300));
    shutdownTimer.async_wait([&](const std::error_code&) {
      gateway.stop();
      io.stop();
    });
  };
  signals.async_wait(onSignal);
  io.run();
  cdrs->flush();
  TG_LOG(kMain, info, "stopped; {} calls were active", gateway.b2bua().callCount());
  return 0;
}

}  // namespace tg::app
