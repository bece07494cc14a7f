// trunkguard: the SIP trunk security gateway. Subcommands dispatch to src/app/*.

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/check_message.h"

int main(int argc, char** argv) {
  CLI::App app{"trunkguard - SIP trunk security gateway"};
  app.require_subcommand(1);

  tg::app::CheckMessageOptions check;
  CLI::App* checkCmd = app.add_subcommand(
      "check-message", "Parse and validate SIP messages the way the gateway would");
  checkCmd->add_option("files", check.files, "Files, one raw message each")->required();
  checkCmd->add_flag("--json", check.json, "Machine-readable output");
  checkCmd->add_flag("--stream", check.stream,
                     "Treat each file as a TCP byte stream of several messages");

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

  if (checkCmd->parsed()) return tg::app::runCheckMessage(check, std::cout, std::cerr);
  return 2;
}
