#pragma once

// An audit's findings for people (text, grouped by severity, with the fix), for scripts (JSON,
// the stable schema in docs/audit.md) and for a browser (one self-contained HTML page).

#include <iosfwd>

#include "audit/finding.h"

namespace tg::audit {

void writeText(const AuditResult& result, std::ostream& out);
void writeJson(const AuditResult& result, std::ostream& out);
void writeHtml(const AuditResult& result, std::ostream& out);

// Exit codes (docs/audit.md): 0 nothing above info, 10 worst is low, 11 medium, 12 high,
// 13 critical; 2 when some input could not be read (the audit is incomplete).
inline constexpr int kExitIncomplete = 2;
int exitCodeFor(const AuditResult& result);

// "&<>\"'" as entities: everything from the audited files goes through this.
std::string escapeHtml(std::string_view text);

}  // namespace tg::audit
