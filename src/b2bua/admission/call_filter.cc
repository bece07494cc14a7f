#include "b2bua/admission/call_filter.h"

namespace tg::b2bua::admission {

CallRecord refusedRecord(const CallContext& call, Disposition disposition, int code,
                         std::string endReason) {
  const sip::Message& req = call.request();
  CallRecord r = recordOf(*call.call);
  r.aCallId = std::string(req.callId());
  r.aFromTag = std::string(req.from()->tag());
  r.aToTag.clear();
  r.fromUri = std::string(req.from()->uri.text);
  r.toUri = "sip:" + call.dialled();  // without a (wrong) call code
  r.sourceAddress = call.source().toString();
  r.aTransport = std::string(config::transportName(call.invite->target().transport));
  r.endTime = call.call->started;
  r.disposition = disposition;
  r.sipCode = code;
  r.endReason = std::move(endReason);
  return r;
}

void recordCallEvent(const AdmissionServices& services, const CallContext& call, std::string rule,
                     std::string reason, std::string_view action, std::string_view detail) {
  if (services.events == nullptr) return;
  guard::SecurityEvent e;
  e.time = services.context.timers.clock().wallNow();
  e.zone = call.zone();
  e.source = call.source();
  e.rule = std::move(rule);
  e.reason = std::move(reason);
  e.action = std::string(action);
  e.sample = "INVITE from " + std::string(call.callerId()).substr(0, 64) + std::string(detail);
  services.events->record(std::move(e));
}

}  // namespace tg::b2bua::admission
