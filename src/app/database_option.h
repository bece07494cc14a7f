#pragma once

// The database file a CLI subcommand (ban, account, cdr, events) works on, and the checks every
// one of them makes before opening it, with the same messages.

#include <ostream>
#include <string>
#include <string_view>

#include "config/config.h"

namespace tg::app {

struct DatabaseChoice {
  config::ConfigPtr config;  // set when -c CONFIG was given and loaded
  std::string path;
};

// Loads -c CONFIG when given, then takes --db FILE if given, else the config's database.path.
// `what` names the command in messages ("ban add"); `why` says what the config adds (for the
// message when neither was given). Returns 0, or the exit code (2) with the message written.
int chooseDatabase(const std::string& configPath, const std::string& dbPath, std::string_view what,
                   std::string_view why, DatabaseChoice& out, std::ostream& err);

// Whether `path` is an existing database file; otherwise says why and what to do.
bool existingDatabase(const std::string& path, std::string_view what, std::ostream& err);

}  // namespace tg::app
