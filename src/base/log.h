#pragma once

// Structured logging over spdlog: one logger per module with its own level, text or JSON-lines
// output on stderr. Messages about a call carry "call=<correlation id>" so that one grep (or one
// jq filter) shows a call's whole story. Secrets are never passed to these functions.

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
};

// Returns an error message (empty on success) for an unknown level, format or module.
std::string validateSettings(const Settings& s);

// (Re)configures every module logger. Safe to call again on reload, while other threads log.
// Unknown names in `s` are ignored (check them with validateSettings first).
void init(const Settings& s);
// The same, writing to `sink` from now on instead of stderr: for tests and embedders. Unlike
// init(s), swapping the sink must not race with logging (call it before workers start).
void init(const Settings& s, spdlog::sink_ptr sink);

// One array lookup; valid before init() (info level, text on stderr).
spdlog::logger& get(Module m);

}  // namespace tg::log

#define TG_LOG(module, lvl, ...) \
  ::tg::log::get(::tg::log::Module::module).log(::spdlog::level::lvl, __VA_ARGS__)
