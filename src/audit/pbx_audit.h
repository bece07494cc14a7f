#pragma once

// `trunkguard audit pbx HOST[:PORT]`: asks one SIP server the admin names what it is (OPTIONS:
// Server / User-Agent), compares that with the table of vulnerable versions, and, given an
// extension that exists, whether unauthenticated REGISTERs for it and for a random missing one
// are answered alike, and, only when asked with a number, whether it routes an unauthenticated
// INVITE (cancelled at once) (PBX-* checks of docs/audit.md). At most 4 transactions plus
// retransmissions, paced by SipProber.

#include <string>

#include "audit/finding.h"

namespace tg::audit {

struct PbxAuditOptions {
  std::string target;        // HOST or HOST:PORT
  std::string dataFile;      // empty: the shipped table (version_table.h)
  std::string extension;     // an existing extension, for the enumeration check; empty: skipped
  std::string inviteNumber;  // an external number for the INVITE check; empty: skipped
};

AuditResult auditPbx(const PbxAuditOptions& options);

}  // namespace tg::audit
