#include "b2bua/admission/sips_route_filter.h"

#include "b2bua/router.h"
#include "base/log.h"

namespace tg::b2bua::admission {

Verdict SipsRouteFilter::check(CallContext& call) {
  const Call& c = *call.call;
  if (!c.sips || services_.router == nullptr || services_.router->anyTlsProvider()) {
    return Verdict::next();
  }
  TG_LOG(kB2bua, info,
         "call={} a sips: call from {}, and no provider is reached over TLS: "
         "refused with 480 (Warning 380)",
         c.uuid, call.source().toString());
  const transaction::ServerTransaction& st = *call.invite;
  const transport::LocalEndpoint* local =
      services_.context.endpoints(st.target().zone, st.target().transport);
  // RFC 5630 §3.3: warn-code 380, the request cannot be completed over TLS on every hop.
  return Verdict::reply(480, {}, "sips_route.no_tls_provider")
      .with("Warning", "380 " + (local != nullptr ? local->address.sipHost() : "trunkguard") +
                           " \"SIPS Not Allowed\"");
}

}  // namespace tg::b2bua::admission
