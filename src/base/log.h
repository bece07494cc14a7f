#pragma once

// Structured logging over spdlog: one logger per module with its own level, text or JSON-lines
// lines on stderr or in a file, or records in the journal or syslog (log_sinks.h). Messages
// about a call carry "call=<correlation id>" so that one grep (or one jq filter, or one
// journalctl TG_CALL_ID=) shows a call's whole story. Secrets are never passed to these
// functions.

#include <spdlog/spdlog.h>

#include <map>
#include <string>
#include <string_view>

namespace tg::log {

enum class Module : uint8_t {
  kMain,
  kConfig,
  kTransport,
  kTransaction,
  kB2bua,
  kDb,
  kGuard,
  kCount
};

std::string_view moduleName(Module m);  // "main", "config", "transport", ...

struct Settings {
  std::string level = "info";                  // default for every module
  std::string format = "text";                 // "text" or "json"
  std::map<std::string, std::string> modules;  // module name -> level
  std::string output = "stderr";               // "stderr", "journal", "syslog" or "file"
  std::string file{};                          // output file: an absolute path
  std::string syslogSocket = "/dev/log";       // output syslog: the local daemon's socket
};

// Returns an error message (empty on success) for an unknown level, format or module.
std::string validateSettings(const Settings& s);

// (Re)configures every module logger and the output. Safe to call again on reload, while other
// threads log. Unknown names in `s` are ignored (check them with validateSettings first). A log
// file that cannot be opened leaves the output on stderr, with a line there that says why. With
// output file, SIGUSR1 makes the next line reopen the file (for logrotate).
void init(const Settings& s);
// The same, writing to `sink` from now on instead of stderr (later init(s) calls keep it unless
// they name another output): for tests and embedders.
void init(const Settings& s, spdlog::sink_ptr sink);

// One array lookup; valid before init() (info level, text on stderr).
spdlog::logger& get(Module m);

}  // namespace tg::log

#define TG_LOG(module, lvl, ...) \
  ::tg::log::get(::tg::log::Module::module).log(::spdlog::level::lvl, __VA_ARGS__)
