#include "app/run_command.h"

#include <fmt/format.h>

#include <asio/signal_set.hpp>
#include <csignal>
#include <functional>
#include <memory>
#include <ostream>

#include "app/gateway.h"
#include "app/server.h"
#include "base/log.h"
#include "base/service_notify.h"
#include "config/config_loader.h"

namespace tg::app {
namespace {

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
    out << fmt::format("  {:<16} {}://{}:{}  {}\n", p.name,
                       config::transportName(p.target.transport), p.target.host, p.target.port,
                       encryption);
  }
  out << "pbx:\n";
  for (const config::PeerTarget& t : c.pbx.targets) {
    out << fmt::format(
        "  {}://{}:{}  {}\n", config::transportName(t.transport), t.host, t.port,
        t.transport == config::TransportKind::kTls ? "tls (verified)" : "unencrypted");
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
  const config::ConfigPtr cfg = loaded.config;
  log::init(logSettings(*cfg));
  for (const std::string& w : loaded.warnings) TG_LOG(kConfig, warn, "{}", w);

  std::string error;
  std::unique_ptr<Server> server = Server::create(configPath, cfg, &error);
  if (!server) {
    err << "trunkguard: " << error << "\n";
    return 1;
  }
  if (error = server->start(); !error.empty()) {
    err << "trunkguard: " << error << "\n";
    return 1;
  }
  printStartup(*cfg, server->worker(0), out);
  // systemd (Type=notify): ready once every listener is bound; keep-alives from worker 0.
  base::ServiceNotifier serviceManager(server->mainIo());
  serviceManager.ready(fmt::format("listening with {} worker(s)", server->workerCount()));
  TG_LOG(kMain, info, "started with {} ({} worker{})", configPath, server->workerCount(),
         server->workerCount() == 1 ? "" : "s");

  // Signals are handled on worker 0's thread: SIGHUP reloads, SIGINT and SIGTERM stop.
  asio::signal_set signals(server->mainIo(), SIGINT, SIGTERM, SIGHUP);
  std::function<void(const std::error_code&, int)> onSignal;
  onSignal = [&](const std::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      server->reload();
      signals.async_wait(onSignal);
      return;
    }
    TG_LOG(kMain, info, "stopping ({}); ending active calls",
           signo == SIGINT ? "SIGINT" : "SIGTERM");
    serviceManager.stopping();
    server->stop();
  };
  signals.async_wait(onSignal);
  server->run();
  return 0;
}

}  // namespace tg::app
