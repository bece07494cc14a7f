#include "b2bua/admission/numbers_filter.h"

#include "b2bua/caller_identity.h"

namespace tg::b2bua::admission {

Verdict NumbersFilter::check(CallContext& call) {
  const sip::Message& req = call.request();
  if (req.requestUri()->user.empty()) {
    return Verdict::reply(484, "No Number Dialled", "numbers.dialled");
  }
  if (callerPrivacyOf(req).malformed) {
    return Verdict::reply(400, "Malformed Privacy Header", "numbers.privacy");
  }
  return Verdict::next();
}

}  // namespace tg::b2bua::admission
