#include "b2bua/admission/request_checks_filter.h"

#include "sip/scan.h"

namespace tg::b2bua::admission {

using sip::HeaderId;

Verdict RequestChecksFilter::check(CallContext& call) {
  const sip::Message& req = call.request();
  // 100rel is not among the supported: toward A the gateway sends provisionals unreliably
  // only, so a caller that requires reliable ones is answered 420 (RFC 3262 §4).
  std::string unsupported;
  req.forEachElement(HeaderId::kRequire, [&](std::string_view t) {
    if (!sip::equalsIgnoreCase(t, "timer")) {
      if (!unsupported.empty()) unsupported.append(", ");
      unsupported.append(t);
    }
  });
  if (!unsupported.empty()) {
    // Name the extensions we do not support (RFC 3261 §20.40).
    return Verdict::reply(420, {}, "request.require").with("Unsupported", unsupported);
  }
  if (!req.body().empty()) {
    auto type = sip::parseMediaType(req.value(HeaderId::kContentType));
    if (!type ||
        !(type->is("application", "sdp") || sip::equalsIgnoreCase(type->type, "multipart"))) {
      return Verdict::reply(415, {}, "request.body_type");
    }
  }
  if (req.contact() == nullptr) return Verdict::reply(400, "Missing Contact", "request.contact");
  // RFC 3261 §8.1.1.6, RFC 7332 §3: the hop limit is spent; a new leg with a fresh
  // Max-Forwards would let a routing loop through the gateway run forever.
  if (req.maxForwards().value_or(70) == 0) return Verdict::reply(483, {}, "request.max_forwards");
  return Verdict::next();
}

}  // namespace tg::b2bua::admission
