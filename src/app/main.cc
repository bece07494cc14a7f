// trunkguard: the SIP trunk security gateway. Subcommands dispatch to src/app/*.

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/cdr_command.h"
#include "app/check_config.h"
#include "app/check_message.h"
#include "app/run_command.h"
#include "config/config_loader.h"

int main(int argc, char** argv) {
  CLI::App app{"trunkguard - SIP trunk security gateway"};
  app.require_subcommand(1);

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  if (runCmd->parsed()) return tg::app::runGateway(runConfig, std::cout, std::cerr);
  if (checkConfigCmd->parsed()) {
    return tg::app::runCheckConfig(checkConfigPath, std::cout, std::cerr);
  }
  if (checkCmd->parsed()) return tg::app::runCheckMessage(check, std::cout, std::cerr);
  if (cdrList->parsed()) {
    if (cdrDb.empty() && !cdrConfig.empty()) {
      auto loaded = tg::config::loadConfigFile(cdrConfig);
      if (!loaded.ok()) {
        for (const auto& e : loaded.errors) std::cerr << e.toString() << "\n";
        return 2;
      }
      cdrDb = loaded.config->database.path;
    }
    if (cdrDb.empty()) {
      std::cerr << "cdr list: give --db FILE or --config FILE\n";
      return 2;
    }
    return tg::app::runCdrList(cdrDb, cdrLimit, cdrJson, std::cout, std::cerr);
  }
  return 2;
}
