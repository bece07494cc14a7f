#pragma once

// YAML -> Config. Every error names the file, the line, the key path and what to change,
// e.g. "gw.yaml:12: trunk.providers[0].transport: unknown value 'udpp'; use udp, tcp or tls".
// Unknown keys are errors: a typo must never silently disable a protection.

#include <string>
#include <vector>

#include "config/config.h"

namespace tg::config {

struct ConfigError {
  std::string file;
  int line = 0;                  // 1-based; 0 when not tied to a line
  std::string keyPath;           // "trunk.providers[0].host"
  std::string message;           // what is wrong and what to do
  std::string toString() const;  // "file:line: keyPath: message"
};

struct LoadResult {
  ConfigPtr config;                   // set when errors is empty
  std::vector<ConfigError> errors;    // every problem found, not just the first
  std::vector<std::string> warnings;  // "file:line: keyPath: message", like errors
  bool readFailed = false;            // the file itself could not be read (errors says why)
  bool ok() const { return errors.empty() && config != nullptr; }
};

// Never throws. A relative database.path is resolved against the file's directory.
LoadResult loadConfigFile(const std::string& path);
// The same for text in memory (tests, the admin API); relative paths are left as written.
LoadResult loadConfigString(const std::string& yaml, const std::string& nameForMessages);

}  // namespace tg::config
