#include "b2bua/live_call_checks.h"

#include "auth/auth_service.h"
#include "b2bua/b2bua.h"
#include "guard/acl/zone_acl.h"
#include "guard/ban/ban_list.h"

namespace tg::b2bua {
namespace {

// A leg whose peer is known: A always, B once its INVITE went out.
bool legInUse(const Call& call, Side side) { return side == Side::kA || !call.b.callId.empty(); }

}  // namespace

size_t LiveCallChecks::sweep(B2bua& calls, base::TimePoint now) {
  if (calls.callCount() == 0) {
    banVersion_ = bans_.version();
    return 0;
  }
  size_t ended = 0;
  if (const uint64_t version = bans_.version(); version != banVersion_) {
    banVersion_ = version;
    ended += calls.endCallsWhere(
        [&](const Call& call) -> std::string {
          for (const Side side : {Side::kA, Side::kB}) {
            if (!legInUse(call, side)) continue;
            const base::Address& peer = call.leg(side).peer.address;
            if (bans_.isBanned(peer, now)) return "source banned (" + peer.ip() + ")";
          }
          return {};
        },
        EndCause::kBanned);
  }
  if (auth_ != nullptr) {
    ended += calls.endCallsWhere(
        [&](const Call& call) -> std::string {
          if (call.zoneA != transport::Zone::kPublic || call.account.empty()) return {};
          if (!auth_->lockout().isLocked(call.account, call.a.peer.address)) return {};
          return "account " + call.account + " locked";
        },
        EndCause::kAccountLocked);
  }
  return ended;
}

size_t LiveCallChecks::afterReload(B2bua& calls, const guard::acl::ZoneAcl& acl) {
  return calls.endCallsWhere(
      [&](const Call& call) -> std::string {
        for (const Side side : {Side::kA, Side::kB}) {
          if (!legInUse(call, side)) continue;
          const base::Address& peer = call.leg(side).peer.address;
          const guard::acl::AclVerdict v = acl.check(call.zone(side), peer);
          if (!v.allowed && !v.shadow) {
            return std::string(peer.ip()) + " no longer allowed in the " +
                   std::string(transport::zoneName(call.zone(side))) + " zone (" +
                   std::string(v.rule) + ")";
          }
        }
        return {};
      },
      EndCause::kReload);
}

}  // namespace tg::b2bua
