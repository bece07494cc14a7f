#include "audit/finding.h"

#include <algorithm>
#include <tuple>

namespace tg::audit {

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

Finding* AuditResult::add(std::string_view id, std::string file, int line, std::string evidence) {
  const Check* check = findCheck(id);
  if (check == nullptr) {  // a programming error, caught by the unit tests
    errors.push_back("internal: unknown check id " + std::string(id));
    return nullptr;
  }
  for (const Finding& f : findings) {
    if (f.id == id && f.file == file && f.line == line && (line > 0 || f.evidence == evidence)) {
      return nullptr;
    }
  }
  Finding f;
  f.id = std::string(check->id);
  f.severity = check->severity;
  f.title = std::string(check->title);
  f.file = std::move(file);
  f.line = line;
  f.evidence = std::move(evidence);
  f.fix = std::string(check->fix);
  f.references.emplace_back(check->reference);
  findings.push_back(std::move(f));
  return &findings.back();
}

void AuditResult::sort() {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(b.severity, a.file, a.line, a.id) < std::tie(a.severity, b.file, b.line, b.id);
  });
}

std::optional<Severity> AuditResult::worst() const {
  std::optional<Severity> w;
  for (const Finding& f : findings) {
    if (!w || f.severity > *w) w = f.severity;
  }
  return w;
}

}  // namespace tg::audit
