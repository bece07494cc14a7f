#pragma once

// Shared by the Asterisk checks (asterisk_audit.cc, dialplan_audit.cc); not a public interface.

#include <string>
#include <vector>

#include "audit/asterisk_reader.h"
#include "audit/finding.h"

namespace tg::audit {

// A context where calls arrive without authentication, and why.
struct GuestEntry {
  std::string context;
  std::string why;  // "sip.conf:3: allowguest (default yes), context=default"
};

// AST-DIAL-INJECTION, AST-SHELL-INJECTION, and AST-GUEST-CONTEXT-OUTBOUND for each entry
// (plus the [default] context, where calls without a context land).
void auditDialplan(const asterisk::ConfigFile& extensions, const std::vector<GuestEntry>& guests,
                   AuditResult& result);

}  // namespace tg::audit
