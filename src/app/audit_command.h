#pragma once

// `trunkguard audit gateway|asterisk|freeswitch|pbx|provider`: security audits
// (src/audit/, docs/audit.md).

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace tg::app {

struct AuditOptions {
  std::string kind;          // "gateway", "asterisk", "freeswitch", "pbx" or "provider"
  std::string target;        // the config file, the directory, HOST[:PORT] or the provider's name
  std::string config;        // provider: the config that names it
  std::string dataFile;      // pbx: the vulnerable versions table instead of the shipped one
  std::string extension;     // pbx: an existing extension, for the enumeration check
  std::string inviteNumber;  // pbx: an external number for the unauthenticated INVITE check;
                             // provider: the number of the SRTP INVITE
  int certificateWarnDays = 30;   // provider
  uint16_t plaintextPort = 5060;  // provider
  uint16_t tlsPort = 5061;        // provider
  int cdrDays = 30;               // provider: the inbound CDRs judged for SHAKEN signing
  bool json = false;
  bool html = false;
};

struct AuditCli {
  AuditOptions options;
  CLI::App* gateway = nullptr;
  CLI::App* asterisk = nullptr;
  CLI::App* freeswitch = nullptr;
  CLI::App* pbx = nullptr;
  CLI::App* provider = nullptr;
};

// Adds `audit` and its subcommands to `app`; the returned object must outlive parsing.
std::unique_ptr<AuditCli> addAuditCommands(CLI::App& app);
// The exit code when an audit subcommand was parsed, nullopt otherwise.
std::optional<int> runAuditCli(AuditCli& cli, std::ostream& out, std::ostream& err);

// Runs one audit and writes its report. Exit codes: audit/report.h (0 clean, 10-13 by the worst
// severity, 2 when input could not be read; the errors also go to `err`).
int runAudit(const AuditOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tg::app
