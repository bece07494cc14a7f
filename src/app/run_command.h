#pragma once

#include <iosfwd>
#include <string>

namespace tg::app {

// `trunkguard run --config FILE`: the gateway daemon in the foreground. Returns the exit code:
// 0 after a clean stop (SIGINT/SIGTERM), 1 when the config or start-up fails.
int runGateway(const std::string& configPath, std::ostream& out, std::ostream& err);

}  // namespace tg::app
