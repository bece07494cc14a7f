#include "app/audit_command.h"

#include <CLI/CLI.hpp>
#include <ostream>

#include "audit/asterisk_audit.h"
#include "audit/freeswitch_audit.h"
#include "audit/gateway_audit.h"
#include "audit/pbx_audit.h"
#include "audit/provider_audit.h"
#include "audit/report.h"

namespace tg::app {

std::unique_ptr<AuditCli> addAuditCommands(CLI::App& app) {
  auto cli = std::make_unique<AuditCli>();
  AuditOptions& o = cli->options;
  CLI::App* audit = app.add_subcommand(
      "audit", "Report what is weak in the gateway's or a PBX's configuration (docs/audit.md)");
  audit->require_subcommand(1);
  auto formats = [&o](CLI::App* sub) {
    CLI::Option* json = sub->add_flag("--json", o.json, "Machine-readable report");
    sub->add_flag("--html", o.html, "One self-contained HTML page")->excludes(json);
  };
  cli->gateway = audit->add_subcommand("gateway", "Audit a trunkguard configuration");
  cli->gateway->add_option("-c,--config", o.target, "Configuration file (YAML)")->required();
  formats(cli->gateway);
  cli->asterisk = audit->add_subcommand("asterisk", "Audit an Asterisk configuration directory");
  cli->asterisk->add_option("dir", o.target, "Directory such as /etc/asterisk")->required();
  formats(cli->asterisk);
  cli->freeswitch =
      audit->add_subcommand("freeswitch", "Audit a FreeSWITCH configuration directory");
  cli->freeswitch->add_option("dir", o.target, "Directory such as /etc/freeswitch")->required();
  formats(cli->freeswitch);
  cli->pbx = audit->add_subcommand(
      "pbx", "Ask one SIP server what it is and how it answers (sends at most 3 requests)");
  cli->pbx->add_option("target", o.target, "HOST or HOST:PORT (one address, never a range)")
      ->required();
  cli->pbx->add_option("--data", o.dataFile,
                       "Vulnerable versions table (JSON) to use instead of "
                       "data/audit/vulnerable_versions.json");
  cli->pbx->add_option("--extension", o.extension,
                       "An extension that exists, to check for enumeration");
  cli->pbx->add_option("--invite", o.inviteNumber,
                       "Also send one unauthenticated INVITE to this external number (cancelled "
                       "as soon as the server routes it)");
  formats(cli->pbx);
  cli->provider = audit->add_subcommand("provider",
                                        "Probe a provider of the config: TLS, certificate, SIP "
                                        "over its transport, SIPS, plaintext SIP");
  cli->provider->add_option("name", o.target, "The provider's name in trunk.providers")->required();
  cli->provider->add_option("-c,--config", o.config, "Configuration file (YAML)")->required();
  cli->provider->add_option("--cert-warn-days", o.certificateWarnDays,
                            "Report a certificate expiring within this many days (default 30)");
  cli->provider->add_option("--plaintext-port", o.plaintextPort,
                            "Where SIP in the clear is tried (default 5060)");
  cli->provider->add_option("--tls-port", o.tlsPort,
                            "Where TLS is tried for a plaintext trunk (default 5061)");
  cli->provider->add_option("--invite", o.inviteNumber,
                            "Also send one INVITE offering SRTP to this number (yours), with the "
                            "trunk's credentials, cancelled on the first provisional answer, to "
                            "read the provider's SDP answer");
  cli->provider
      ->add_option("--cdr-days", o.cdrDays,
                   "Judge SHAKEN signing on the inbound calls of this many days (default 30)")
      ->check(CLI::Range(1, 3650));
  formats(cli->provider);
  return cli;
}

std::optional<int> runAuditCli(AuditCli& cli, std::ostream& out, std::ostream& err) {
  for (CLI::App* sub : {cli.gateway, cli.asterisk, cli.freeswitch, cli.pbx, cli.provider}) {
    if (sub->parsed()) {
      cli.options.kind = sub->get_name();
      return runAudit(cli.options, out, err);
    }
  }
  return std::nullopt;
}

int runAudit(const AuditOptions& options, std::ostream& out, std::ostream& err) {
  audit::AuditResult result;
  if (options.kind == "gateway") {
    result = audit::auditGateway(options.target);
  } else if (options.kind == "asterisk") {
    result = audit::auditAsteriskDirectory(options.target);
  } else if (options.kind == "freeswitch") {
    result = audit::auditFreeswitchDirectory(options.target);
  } else if (options.kind == "pbx") {
    result = audit::auditPbx(
        {options.target, options.dataFile, options.extension, options.inviteNumber});
  } else if (options.kind == "provider") {
    audit::ProviderAuditOptions p;
    p.configPath = options.config;
    p.provider = options.target;
    p.certificateWarnDays = options.certificateWarnDays;
    p.plaintextPort = options.plaintextPort;
    p.tlsPort = options.tlsPort;
    p.inviteNumber = options.inviteNumber;
    p.cdrDays = options.cdrDays;
    result = audit::auditProvider(p);
  } else {
    err << "audit: unknown kind '" << options.kind
        << "'; use gateway, asterisk, freeswitch, pbx or provider\n";
    return 2;
  }
  if (options.json) {
    audit::writeJson(result, out);
  } else if (options.html) {
    audit::writeHtml(result, out);
  } else {
    audit::writeText(result, out);
  }
  for (const std::string& e : result.errors) err << "audit " << options.kind << ": " << e << "\n";
  return audit::exitCodeFor(result);
}

}  // namespace tg::app
