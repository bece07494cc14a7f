#pragma once

// The calls of the past, read back at start so that what the fraud detectors learnt survives a
// restart (docs/fraud.md, "Baselines"): each account's outbound calls, and the unanswered
// inbound calls the Wangiri detector remembers. Read-only, one row at a time: a month of a busy
// site never sits in memory at once.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace tg::db {

struct PastCall {
  std::string account;
  std::string dialledE164;
  std::string destinationClass;
  base::SystemTime start{};
  std::optional<base::SystemTime> end;  // none: the gateway stopped while it was live
  bool endedByGateway = false;          // torn down (fraud, caps, bans...): not a normal call
};

// Gives `each` every outbound call with an account that started at or after `since` and that
// the gateway let through (refused calls are not part of anyone's normal), oldest first.
// Returns how many. Throws std::runtime_error ("<path>: <what>: <message>") when the database
// cannot be read.
size_t forEachOutboundCallSince(const std::string& path, base::SystemTime since,
                                const std::function<void(const PastCall&)>& each);

// An inbound call that rang the PBX and was never answered.
struct PastRing {
  std::string fromUri;  // as the caller wrote it
  base::SystemTime start{};
  base::SystemTime end{};
};

// Gives `each` every inbound call that started at or after `since`, ended, was never answered
// and was not refused by the gateway (a refused call never rang anyone), oldest first. Returns
// how many. Throws std::runtime_error as above.
size_t forEachUnansweredInboundCallSince(const std::string& path, base::SystemTime since,
                                         const std::function<void(const PastRing&)>& each);

// How many inbound calls from one provider had each STIR/SHAKEN outcome (`audit provider`).
struct IdentityCount {
  std::string verstat;      // "" when no verification ran (identity off)
  std::string attestation;  // "A", "B", "C" or ""
  int64_t calls = 0;
};

// The inbound calls from `provider` that started at or after `since`, counted by verstat and
// attestation (refused ones included: a call rejected for its identity is still the
// provider's). Throws std::runtime_error ("<path>: <what>: <message>") when the database
// cannot be read.
std::vector<IdentityCount> countInboundIdentitySince(const std::string& path,
                                                     const std::string& provider,
                                                     base::SystemTime since);

}  // namespace tg::db
