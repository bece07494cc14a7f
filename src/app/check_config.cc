#include "app/check_config.h"

#include <ostream>

#include "config/config_loader.h"

namespace tg::app {
namespace {

using config::Config;
using config::Listener;
using config::TransportKind;

std::string listenerList(const std::vector<Listener>& listeners) {
  if (listeners.empty()) return "none";
  std::string out;
  for (const Listener& l : listeners) {
    out += (out.empty() ? "" : ", ") + std::string(config::transportName(l.transport)) + "://" +
           l.address.toString();
  }
  return out;
}

std::string hostPort(const config::PeerTarget& t) {
  const bool v6 = t.host.find(':') != std::string::npos;
  return (v6 ? "[" + t.host + "]" : t.host) + ":" + std::to_string(t.port);
}

std::string cidrList(const std::vector<config::Cidr>& cidrs) {
  std::string out;
  for (const auto& c : cidrs) out += (out.empty() ? "" : ", ") + c.text;
  return out;
}

// How a provider's signalling is protected, in words an operator can act on.
std::string encryptionOf(const config::Provider& p) {
  if (p.target.transport != TransportKind::kTls) {
    return "UNENCRYPTED (allow_plaintext: anyone on the path can read and change the calls' "
           "signalling)";
  }
  if (!p.tls.verify) {
    return "tls NOT VERIFIED (tls.verify: false: the provider can be impersonated)";
  }
  std::string s = "tls, certificate checked for '" +
                  config::expectedServerName(p.tls, p.target.host) + "' against " +
                  (p.tls.caFile.empty() ? "the system CA store" : p.tls.caFile);
  if (!p.tls.clientCertificate.empty()) s += ", client certificate " + p.tls.clientCertificate;
  return s;
}

void printSummary(const Config& c, std::ostream& out) {
  out << "  workers: " << c.workers << "\n";
  out << "  pbx listeners: " << listenerList(c.pbx.listen) << "\n";
  for (const auto& t : c.pbx.targets) {
    out << "  pbx target: " << hostPort(t) << " " << config::transportName(t.transport) << "\n";
  }
  out << "  pbx allowed sources: " << cidrList(c.pbx.allowedSources) << "\n";
  out << "  trunk listeners: " << listenerList(c.trunk.listen) << "\n";
  out << "  providers (in order of priority):\n";
  for (const auto& p : c.trunk.providers) {
    out << "    " << p.name << ": " << hostPort(p.target) << " "
        << config::transportName(p.target.transport) << ", priority " << p.priority << ", "
        << encryptionOf(p) << ", allowed sources " << cidrList(p.allowedSources) << "\n";
  }
  out << "  encryption: providers default to transport tls; plaintext (udp/tcp) needs "
         "allow_plaintext: true and is warned about on every start\n";
  if (!c.tls.certificate.empty()) {
    out << "  tls: certificate " << c.tls.certificate << ", TLS "
        << config::tlsVersionName(c.tls.minVersion) << "+, handshake timeout "
        << c.tls.handshakeTimeout.count() << " ms"
        << (c.tls.caFile.empty() ? "" : ", client certificates from " + c.tls.caFile) << "\n";
  }
  if (c.publicZone) {
    out << "  public listeners: " << listenerList(c.publicZone->listen) << "\n";
  } else {
    out << "  public zone: off\n";
  }
  out << "  database: " << c.database.path << "\n";
  out << "  log: " << c.log.level << ", " << c.log.format << ", to " << c.log.output
      << (c.log.output == "file" ? " " + c.log.file : "")
      << (c.log.output == "syslog" ? " " + c.log.syslogSocket : "") << "\n";
}

}  // namespace

int runCheckConfig(const std::string& path, std::ostream& out, std::ostream& err) {
  const config::LoadResult result = config::loadConfigFile(path);
  if (result.readFailed) {
    for (const auto& e : result.errors) err << e.toString() << "\n";
    return 2;
  }
  if (!result.ok()) {
    for (const auto& e : result.errors) err << e.toString() << "\n";
    for (const auto& w : result.warnings) err << "warning: " << w << "\n";
    err << result.errors.size() << (result.errors.size() == 1 ? " error" : " errors") << " in "
        << path << "; nothing was started\n";
    return 1;
  }
  out << "config OK: " << path << "\n";
  printSummary(*result.config, out);
  if (result.warnings.empty()) {
    out << "no warnings\n";
  } else {
    out << result.warnings.size() << (result.warnings.size() == 1 ? " warning" : " warnings")
        << ":\n";
    for (const auto& w : result.warnings) out << "  warning: " << w << "\n";
  }
  return 0;
}

}  // namespace tg::app
