#pragma once

// `audit provider`, from the gateway's own records: does the provider sign the calls it
// delivers (STIR/SHAKEN)? Counts the verstat and attestation the identity filter recorded on
// its inbound calls of the last days (the cdrs table, read-only) and reports the shares
// (PRV-SHAKEN-SHARE, info) and PRV-SHAKEN-UNSIGNED when it signed none of them.

#include <string>

#include "audit/finding.h"
#include "base/clock.h"

namespace tg::audit {

void checkShakenSigning(const std::string& databasePath, const std::string& provider, int days,
                        base::SystemTime now, const std::string& where, AuditResult& result);

}  // namespace tg::audit
