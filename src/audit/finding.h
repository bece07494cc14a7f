#pragma once

// What an audit reports: findings, each an instance of a check from the catalogue
// (check_catalog.cc, documented in docs/audit.md), and the errors that kept it from reading
// some of its input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tg::audit {

enum class Severity : uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view severityName(Severity s);  // "info" ... "critical"

// One check: its id never changes once shipped (scripts filter on it).
struct Check {
  std::string_view id;  // "AST-INSECURE-INVITE"
  Severity severity;
  std::string_view title;      // what is wrong, in one line
  std::string_view fix;        // what to change
  std::string_view reference;  // CVE, advisory or best-practice source
};

// Every check the audits know, in docs/audit.md order.
const std::vector<Check>& checkCatalog();
// nullptr for an unknown id.
const Check* findCheck(std::string_view id);

struct Finding {
  std::string id;
  Severity severity = Severity::kInfo;
  std::string title;
  std::string file;      // "" when not tied to a file
  int line = 0;          // 0 when not tied to a line
  std::string evidence;  // what was seen (secrets are never shown)
  std::string fix;
  std::vector<std::string> references;
};

struct AuditResult {
  std::string target;  // what was audited: a directory, a config file
  std::vector<Finding> findings;
  std::vector<std::string> errors;  // input that could not be read or understood

  // Adds a finding of catalogue check `id` (which must exist) unless the same id was already
  // reported at the same file and line (a template inherited by many sections; findings
  // without a line count as the same only with the same evidence). Returns the new finding,
  // or nullptr when it was not added.
  Finding* add(std::string_view id, std::string file, int line, std::string evidence);
  // Most severe first, then by file and line.
  void sort();
  std::optional<Severity> worst() const;
};

}  // namespace tg::audit
