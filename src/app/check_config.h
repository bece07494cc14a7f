#pragma once

// `trunkguard check-config FILE`: load and validate a configuration the way `run` would, then
// say what the gateway would do with it (or every mistake, with file:line and what to change).

#include <iosfwd>
#include <string>

namespace tg::app {

// Exit codes: 0 valid (summary and warnings on `out`), 1 invalid (every error on `err`, one
// "file:line: key: message" line each), 2 the file could not be read.
int runCheckConfig(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace tg::app
