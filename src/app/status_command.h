#pragma once

// `trunkguard status [-c CONFIG | --socket PATH] [--json]`: asks the running gateway through
// its control socket (control_socket.h) and prints what it answers (status_report.h).

#include <ostream>
#include <string>

namespace tg::app {

struct StatusOptions {
  std::string configPath;  // -c: the socket is the config's database.control_socket
  std::string socketPath;  // --socket: the socket itself (overrides the config's)
  bool json = false;
};

// Exit codes: 0 the gateway answered, 1 no gateway answered (or its answer is not JSON),
// 2 bad usage or a broken config.
int runStatus(const StatusOptions& o, std::ostream& out, std::ostream& err);

}  // namespace tg::app
