// How the process runs: `workers:` (threads), `log:` (levels, format) and `database:` (the
// SQLite file).

#include "base/log.h"
#include "config/loader.h"

namespace tg::config::detail {

void readWorkers(Loader& loader, const YAML::Node& node, int line, Config& c) {
  if (auto v =
          loader.readInt(node, node.IsNull() ? line : Loader::lineOf(node), "workers", 1, 64)) {
    c.workers = static_cast<int>(*v);
  }
}

void readLog(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "log", line,
              {"level", "format", "modules", "output", "file", "syslog_socket"});
  if (!m.valid()) return;
  // log::validateSettings is the authority on names; ask it about one value at a time so that
  // each error carries its own line.
  auto check = [&loader](const log::Settings& s, int at, const std::string& path) {
    const std::string why = log::validateSettings(s);
    if (!why.empty()) loader.error(at, path, why);
    return why.empty();
  };
  if (m.has("level")) {
    if (auto level = loader.readString(m, "level")) {
      log::Settings s;
      s.level = *level;
      if (check(s, Loader::valueLine(m, "level"), m.pathOf("level"))) c.log.level = *level;
    }
  }
  if (m.has("format")) {
    if (auto format = loader.readString(m, "format")) {
      log::Settings s;
      s.format = *format;
      if (check(s, Loader::valueLine(m, "format"), m.pathOf("format"))) c.log.format = *format;
    }
  }
  // Where lines go; log::validateSettings judges the three together (a file output needs a
  // file), so the error points at output.
  log::Settings where;
  where.output = c.log.output;
  where.file = c.log.file;
  where.syslogSocket = c.log.syslogSocket;
  if (m.has("output")) {
    if (auto v = loader.readString(m, "output")) where.output = *v;
  }
  if (m.has("file")) {
    if (auto v = loader.readString(m, "file")) where.file = *v;
  }
  if (m.has("syslog_socket")) {
    if (auto v = loader.readString(m, "syslog_socket")) where.syslogSocket = *v;
  }
  const std::string key = m.has("output") ? "output" : m.has("file") ? "file" : "syslog_socket";
  if (check(where, m.has(key) ? Loader::valueLine(m, key) : line, m.pathOf(key))) {
    c.log.output = where.output;
    c.log.file = where.file;
    c.log.syslogSocket = where.syslogSocket;
  }
  if (m.has("modules")) {
    std::vector<std::string_view> modules;
    for (size_t i = 0; i < static_cast<size_t>(log::Module::kCount); ++i) {
      modules.push_back(log::moduleName(static_cast<log::Module>(i)));
    }
    MapReader mods(loader, m.get("modules"), m.pathOf("modules"), m.keyLine("modules"), modules);
    if (!mods.valid()) return;
    for (std::string_view module : modules) {
      if (!mods.has(module)) continue;
      if (auto level = loader.readString(mods, module)) {
        log::Settings s;
        s.modules[std::string(module)] = *level;
        if (check(s, Loader::valueLine(mods, module), mods.pathOf(module))) {
          c.log.modules[std::string(module)] = *level;
        }
      }
    }
  }
}

void readDatabase(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "database", line, {"path", "key_file", "control_socket"});
  if (m.valid()) loader.readDatabaseKeyFile(m, c);
  if (m.valid() && m.has("control_socket")) {
    auto socket = loader.readString(m, "control_socket");
    if (socket && socket->empty()) {
      loader.error(Loader::valueLine(m, "control_socket"), m.pathOf("control_socket"),
                   "is empty; give a file name, e.g. /run/trunkguard/control.sock");
    } else if (socket) {
      c.database.controlSocket = loader.resolvePath(*socket);
    }
  }
  if (!m.valid() || !m.has("path")) return;
  auto path = loader.readString(m, "path");
  if (!path) return;
  if (path->empty()) {
    loader.error(Loader::valueLine(m, "path"), m.pathOf("path"),
                 "is empty; give a file name, e.g. trunkguard.db");
    return;
  }
  c.database.path = *path;
}

}  // namespace tg::config::detail
