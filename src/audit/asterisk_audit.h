#pragma once

// `trunkguard audit asterisk DIR`: reads an /etc/asterisk-style tree (sip.conf, pjsip.conf,
// extensions.conf, manager.conf, http.conf, rtp.conf, asterisk.conf; absent files are skipped)
// and reports the checks AST-* of docs/audit.md, each at the file and line that causes it.

#include <string>

#include "audit/asterisk_reader.h"
#include "audit/finding.h"

namespace tg::audit {

AuditResult auditAsteriskDirectory(const std::string& directory);
// The same over any source (tests); `target` names it in the report.
AuditResult auditAsterisk(asterisk::FileSource& source, const std::string& target);

}  // namespace tg::audit
