// trunkguard: the SIP trunk security gateway. Subcommands dispatch to src/app/*.

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/account_command.h"
#include "app/admin_gate.h"
#include "app/audit_command.h"
#include "app/backup_command.h"
#include "app/ban_command.h"
#include "app/cdr_command.h"
#include "app/check_config.h"
#include "app/check_message.h"
#include "app/database_option.h"
#include "app/events_command.h"
#include "app/explain_command.h"
#include "app/hash_code_command.h"
#include "app/replay_command.h"
#include "app/run_command.h"
#include "app/status_command.h"
#include "app/token_command.h"
#include "app/version.h"
#include "config/config_loader.h"

int main(int argc, char** argv) {
  CLI::App app{"trunkguard - SIP trunk security gateway"};
  app.require_subcommand(1);
  app.set_version_flag(
      "-V,--version", [] { return tg::app::versionText(); },
      "Show the version, build type and library versions");

  std::string runConfig;
  CLI::App* runCmd = app.add_subcommand("run", "Run the gateway in the foreground");
  runCmd->add_option("-c,--config", runConfig, "Configuration file (YAML)")->required();

  std::string checkConfigPath;
  CLI::App* checkConfigCmd =
      app.add_subcommand("check-config", "Validate a configuration file and explain problems");
  checkConfigCmd->add_option("file", checkConfigPath, "Configuration file (YAML)")->required();

  tg::app::CheckMessageOptions check;
  CLI::App* checkCmd = app.add_subcommand(
      "check-message", "Parse and validate SIP messages the way the gateway would");
  checkCmd->add_option("files", check.files, "Files, one raw message each")->required();
  checkCmd->add_flag("--json", check.json, "Machine-readable output");
  checkCmd->add_flag("--stream", check.stream,
                     "Treat each file as a TCP byte stream of several messages");

  CLI::App* cdrCmd = app.add_subcommand("cdr", "Call detail records");
  cdrCmd->require_subcommand(1);
  std::string cdrDb;
  std::string cdrConfig;
  size_t cdrLimit = 50;
  bool cdrJson = false;
  CLI::App* cdrList = cdrCmd->add_subcommand("list", "Show recent calls, newest first");
  cdrList->add_option("--db", cdrDb, "CDR database file");
  cdrList->add_option("-c,--config", cdrConfig, "Take the database path from this config");
  cdrList->add_option("-n,--limit", cdrLimit, "How many calls to show")->check(CLI::PositiveNumber);
  cdrList->add_flag("--json", cdrJson, "Machine-readable output");

  CLI::App* banCmd = app.add_subcommand("ban", "Ban or unban sources (the gateway's ban list)");
  banCmd->require_subcommand(1);
  tg::app::BanCommandOptions ban;
  auto banSource = [&ban](CLI::App* sub) {
    sub->add_option("-c,--config", ban.configPath,
                    "Configuration: database path and trusted networks");
    sub->add_option("--db", ban.dbPath, "Database file (overrides the config's)");
  };
  auto banEdit = [&](CLI::App* sub) {
    banSource(sub);
    tg::app::addAdminOptions(sub, ban.admin);
  };
  CLI::App* banAdd = banCmd->add_subcommand("add", "Ban an address or network");
  banAdd->add_option("network", ban.target, "ADDR or CIDR, e.g. 192.0.2.7 or 198.51.100.0/24")
      ->required();
  banAdd->add_option("--duration", ban.duration,
                     "1h, 30m, 3600, 2d or permanent (default: guard.bans.duration_s)");
  banAdd->add_option("--reason", ban.reason, "Why, for the ban list and the logs");
  banEdit(banAdd);
  CLI::App* banRemove = banCmd->add_subcommand("remove", "Lift the ban of a network");
  banRemove->add_option("network", ban.target, "ADDR or CIDR as listed by `ban list`")->required();
  banEdit(banRemove);
  CLI::App* banListCmd = banCmd->add_subcommand("list", "Show the active bans");
  banListCmd->add_flag("--json", ban.json, "Machine-readable output");
  banSource(banListCmd);
  CLI::App* banImport =
      banCmd->add_subcommand("import", "Ban every network of a blocklist (text or APIBAN JSON)");
  banImport->add_option("file", ban.target, "Blocklist file")->required();
  banImport->add_option("--duration", ban.duration, "1h, 30m, 3600, 2d (default: permanent)");
  banEdit(banImport);

  CLI::App* eventsCmd = app.add_subcommand("events", "Security events (blocked traffic)");
  eventsCmd->require_subcommand(1);
  std::string eventsDb;
  std::string eventsConfig;
  size_t eventsLimit = 50;
  bool eventsJson = false;
  CLI::App* eventsList = eventsCmd->add_subcommand("list", "Show recent events, newest first");
  eventsList->add_option("--db", eventsDb, "Database file");
  eventsList->add_option("-c,--config", eventsConfig, "Take the database path from this config");
  eventsList->add_option("-n,--limit", eventsLimit, "How many events to show")
      ->check(CLI::PositiveNumber);
  eventsList->add_flag("--json", eventsJson, "Machine-readable output");

  // account add|passwd|list|disable|enable|unlock, admin add|verify|log (account_command.h)
  auto accountCli = tg::app::addAccountCommands(app);
  // admin token add|list|revoke (token_command.h)
  auto tokenCli = tg::app::addTokenCommands(app);

  // audit gateway|asterisk (audit_command.h)
  auto auditCli = tg::app::addAuditCommands(app);

  tg::app::ExplainOptions explain;
  CLI::App* explainCmd =
      app.add_subcommand("explain", "Show how the call policy would treat a call, rule by rule");
  explainCmd->add_option("-c,--config", explain.config, "Configuration file (YAML)")->required();
  explainCmd->add_option("--zone", explain.zone, "Zone the call comes from: pbx, trunk, public");
  explainCmd->add_option("--account", explain.account, "Calling account (extension)");
  explainCmd->add_option("--to", explain.to, "Number as dialled")->required();
  explainCmd->add_option("--from", explain.from, "Caller ID (From user)");
  explainCmd->add_option("--at", explain.at, "When: \"YYYY-MM-DD HH:MM\" UTC (default now)");

  tg::app::ReplayOptions replayOptions;
  CLI::App* replayCmd = app.add_subcommand(
      "replay",
      "Run the call policy and fraud detectors over a call trace (CSV), report per label");
  replayCmd->add_option("-c,--config", replayOptions.config, "Configuration file (YAML)")
      ->required();
  replayCmd
      ->add_option("trace", replayOptions.trace, "Trace file (CSV, docs/fraud.md); - for stdin")
      ->required();
  replayCmd->add_flag("--json", replayOptions.json, "One JSON object instead of a table");

  CLI::App* hashCodeCmd = app.add_subcommand(
      "hash-code",
      "Read a call code on stdin and print the hash to write in policy.call_codes.codes");

  tg::app::BackupOptions backup;
  CLI::App* backupCmd = app.add_subcommand(
      "backup", "Copy the database to FILE, consistent even while the gateway runs");
  CLI::App* restoreCmd = app.add_subcommand(
      "restore", "Replace the database with the backup FILE (the gateway must be stopped)");
  for (CLI::App* sub : {backupCmd, restoreCmd}) {
    sub->add_option("file", backup.file, "Backup file")->required();
    sub->add_option("-c,--config", backup.configPath, "Take the database path from this config");
    sub->add_option("--db", backup.dbPath, "Database file (overrides the config's)");
  }

  tg::app::StatusOptions status;
  CLI::App* statusCmd = app.add_subcommand(
      "status", "Ask the running gateway: listeners, providers, calls, bans, last reload");
  statusCmd->add_option("-c,--config", status.configPath,
                        "Take the control socket from this config");
  statusCmd->add_option("--socket", status.socketPath,
                        "The control socket (overrides the config's)");
  statusCmd->add_flag("--json", status.json, "Machine-readable output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  if (runCmd->parsed()) return tg::app::runGateway(runConfig, std::cout, std::cerr);
  if (auto rc = tg::app::runAccountCli(*accountCli, std::cin, std::cout, std::cerr)) return *rc;
  if (auto rc = tg::app::runTokenCli(*tokenCli, std::cin, std::cout, std::cerr)) return *rc;
  if (auto rc = tg::app::runAuditCli(*auditCli, std::cout, std::cerr)) return *rc;
  if (checkConfigCmd->parsed()) {
    return tg::app::runCheckConfig(checkConfigPath, std::cout, std::cerr);
  }
  if (checkCmd->parsed()) return tg::app::runCheckMessage(check, std::cout, std::cerr);
  if (statusCmd->parsed()) return tg::app::runStatus(status, std::cout, std::cerr);
  if (backupCmd->parsed()) return tg::app::runBackup(backup, std::cout, std::cerr);
  if (restoreCmd->parsed()) return tg::app::runRestore(backup, std::cout, std::cerr);
  if (hashCodeCmd->parsed()) return tg::app::runHashCode(std::cin, std::cout, std::cerr);
  if (explainCmd->parsed()) return tg::app::runExplain(explain, std::cout, std::cerr);
  if (replayCmd->parsed()) return tg::app::runReplay(replayOptions, std::cout, std::cerr);
  if (cdrList->parsed()) {
    tg::app::DatabaseChoice db;
    if (int rc = tg::app::chooseDatabase(cdrConfig, cdrDb, "cdr list", "its database.path", db,
                                         std::cerr)) {
      return rc;
    }
    cdrDb = db.path;
    return tg::app::runCdrList(cdrDb, cdrLimit, cdrJson, std::cout, std::cerr);
  }
  for (CLI::App* sub : {banAdd, banRemove, banListCmd, banImport}) {
    if (sub->parsed()) {
      ban.action = sub->get_name();
      return tg::app::runBan(ban, std::cout, std::cerr);
    }
  }
  if (eventsList->parsed()) {
    tg::app::DatabaseChoice db;
    if (int rc = tg::app::chooseDatabase(eventsConfig, eventsDb, "events list", "its database.path",
                                         db, std::cerr)) {
      return rc;
    }
    eventsDb = db.path;
    return tg::app::runEventsList(eventsDb, eventsLimit, eventsJson, std::cout, std::cerr);
  }
  return 2;
}
