#pragma once

// What every config test asks of a LoadResult: its problems as text, and whether a given error
// or warning is among them (file:line, key path and message are the loader's contract).

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"

namespace tg::config {

// The smallest valid configuration: ten lines, so a section appended to it starts on line 11.
inline constexpr const char* kMinimalConfig = R"(pbx:
  listen: [ "udp://127.0.0.1:5070" ]
  targets: [ { host: 127.0.0.1, port: 5080 } ]
trunk:
  listen: [ "udp://127.0.0.1:5060" ]
  providers:
    - name: carrier-a
      host: 192.0.2.1
      transport: udp
      allow_plaintext: true
)";

inline std::string dump(const LoadResult& r) {
  std::string s;
  for (const auto& e : r.errors) s += "\n  error: " + e.toString();
  for (const auto& w : r.warnings) s += "\n  warning: " + w;
  return s.empty() ? " (no errors, no warnings)" : s;
}

// True when some error sits on `line` at `path` and its message contains `text`.
inline testing::AssertionResult hasError(const LoadResult& r, int line, const std::string& path,
                                         const std::string& text) {
  for (const auto& e : r.errors) {
    if (e.line == line && e.keyPath == path && e.message.find(text) != std::string::npos) {
      return testing::AssertionSuccess();
    }
  }
  return testing::AssertionFailure() << "no error at line " << line << " path '" << path
                                     << "' containing '" << text << "'; got:" << dump(r);
}

inline testing::AssertionResult hasWarning(const LoadResult& r, const std::string& text) {
  for (const auto& w : r.warnings) {
    if (w.find(text) != std::string::npos) return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "no warning containing '" << text << "'; got:" << dump(r);
}

// The warnings outside the policy section (which warns about its safe defaults in every config
// that leaves them as they are).
inline size_t nonPolicyWarnings(const LoadResult& r) {
  size_t n = 0;
  for (const auto& w : r.warnings) n += w.find(": policy") == std::string::npos ? 1 : 0;
  return n;
}

}  // namespace tg::config
