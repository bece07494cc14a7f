#include "app/status_command.h"

#include <nlohmann/json.hpp>

#include "app/control_socket.h"
#include "app/status_report.h"
#include "config/config_loader.h"

namespace tg::app {

int runStatus(const StatusOptions& o, std::ostream& out, std::ostream& err) {
  std::string socket = o.socketPath;
  if (socket.empty() && !o.configPath.empty()) {
    config::LoadResult loaded = config::loadConfigFile(o.configPath);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) err << e.toString() << "\n";
      err << "status: fix the configuration, or pass the control socket with --socket\n";
      return 2;
    }
    socket = loaded.config->database.controlSocketPath();
  }
  if (socket.empty()) {
    err << "status: give -c CONFIG (its database.control_socket) or --socket PATH\n";
    return 2;
  }
  std::string answer;
  std::string error;
  if (!askControlSocket(socket, &answer, &error)) {
    err << "status: no gateway is running: " << error << "\n";
    return 1;
  }
  const nlohmann::json status = nlohmann::json::parse(answer, nullptr, false);
  if (status.is_discarded() || !status.is_object()) {
    err << "status: " << socket << " did not answer with a status document\n";
    return 1;
  }
  out << (o.json ? status.dump(2) + "\n" : statusText(status));
  return 0;
}

}  // namespace tg::app
