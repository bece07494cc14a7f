#pragma once

// `trunkguard audit gateway --config FILE`: the gateway's own posture (the GW-* checks of
// docs/audit.md): encryption toward providers, secrets and their file modes, the call policy,
// the perimeter filters, lockout, TLS settings, listeners, admins and their TOTP.

#include <string>

#include "audit/finding.h"

namespace tg::audit {

// Loads the config the way `run` would; a config that does not load is an error (exit 2), not
// a finding. Reads the accounts database the config names, read-only, when it exists.
AuditResult auditGateway(const std::string& configPath);

}  // namespace tg::audit
