#pragma once

// `trunkguard audit provider NAME --config FILE`: probes a provider of the config the way an
// attacker on the path would judge it: the TLS it accepts (old versions, weak ciphers), the
// certificate it presents (chain, name, expiry), what its SIP answers over the trunk's own
// transport say (digest algorithms, SRTP, sips: URIs; with --invite NUMBER the SDP answer of a
// real, at once cancelled call), whether it also answers SIP in the clear, and, for a plaintext
// trunk, whether it offers TLS that is not used (PRV-* checks, docs/audit.md).

#include <string>

#include "audit/finding.h"

namespace tg::audit {

struct ProviderAuditOptions {
  std::string configPath;
  std::string provider;           // its name in trunk.providers
  int certificateWarnDays = 30;   // PRV-CERT-EXPIRING below this many days
  uint16_t plaintextPort = 5060;  // where SIP in the clear is tried (UDP OPTIONS)
  uint16_t tlsPort = 5061;        // where TLS is tried for a plaintext trunk
  // Opt-in: one INVITE to this number (the admin's own), offering SRTP, cancelled on the first
  // provisional answer; empty: no INVITE is ever sent.
  std::string inviteNumber;
  int cdrDays = 30;  // the window of inbound CDRs judged for SHAKEN signing
};

AuditResult auditProvider(const ProviderAuditOptions& options);

}  // namespace tg::audit
