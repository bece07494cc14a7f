#pragma once

// Live calls the gateway no longer allows, ended through call control (issue 12 item 9):
//   - a call with a leg whose peer is banned (automatic, manual, blocklist or lockout bans),
//     checked once a second on each worker when the ban list changed;
//   - a call from a remote phone whose account is locked (everywhere, or for its source),
//     checked once a second while such calls are live;
//   - after a reload, a call with a leg whose peer the new zone ACL no longer allows in its
//     zone (an address taken off a zone's networks, a newly denied range or country).
// Each ends like any call the gateway ends (BYE on both legs, or CANCEL and a final answer
// before the answer) with its cause in the call record and "ended-by-gateway: ..." in the CDR.
// One per worker, on its thread.

#include <cstddef>
#include <cstdint>

#include "base/clock.h"

namespace tg::auth {
class AuthService;
}
namespace tg::guard {
class BanList;
}
namespace tg::guard::acl {
class ZoneAcl;
}

namespace tg::b2bua {

class B2bua;

class LiveCallChecks {
 public:
  // The bans and phone accounts this worker's calls answer to; auth may be null (no public
  // zone). Both must outlive this.
  LiveCallChecks(const guard::BanList& bans, auth::AuthService* auth) : bans_(bans), auth_(auth) {}

  // Once a second: ends the calls of banned peers and locked accounts; returns how many.
  size_t sweep(B2bua& calls, base::TimePoint now);
  // After a reload: ends the calls whose peers `acl` no longer admits; returns how many.
  size_t afterReload(B2bua& calls, const guard::acl::ZoneAcl& acl);

 private:
  const guard::BanList& bans_;
  auth::AuthService* auth_;
  uint64_t banVersion_ = 0;  // the ban list as of the last sweep
};

}  // namespace tg::b2bua
