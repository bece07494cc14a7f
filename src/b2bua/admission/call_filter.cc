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

}  // namespace tg::b2bua::admission
