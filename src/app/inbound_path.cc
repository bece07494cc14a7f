#include "app/inbound_path.h"

#include <string>

#include "base/log.h"
#include "base/random.h"
#include "sip/builder.h"
#include "transport/stun_keepalive.h"

namespace tg::app {

std::string_view stageName(InboundPath::Stage stage) {
  switch (stage) {
    case InboundPath::Stage::kAdmit:
      return "admit";
    case InboundPath::Stage::kKeepAlive:
      return "keep-alive";
    case InboundPath::Stage::kParse:
      return "parse";
    case InboundPath::Stage::kValidate:
      return "validate";
    case InboundPath::Stage::kGuard:
      return "guard";
    case InboundPath::Stage::kHops:
      return "hops";
    case InboundPath::Stage::kDispatch:
      return "dispatch";
  }
  return "unknown";
}

InboundPath::InboundPath(config::ConfigPtr config, guard::Guard& guard, transaction::Sender& out,
                         Worker& self, WorkerPeers& workers, const base::Clock& clock)
    : config_(std::move(config)),
      guard_(guard),
      out_(out),
      self_(self),
      workers_(workers),
      clock_(clock) {}

InboundPath::Stage InboundPath::onPacket(transport::Packet&& packet) {
  ++stats_.received;
  if (!admit(packet)) return Stage::kAdmit;
  if (!keepAlive(packet)) return Stage::kKeepAlive;

  // The loop's busy share feeds overload shedding; only packets past here cost enough to count.
  struct BusyTimer {
    InboundPath& path;
    base::TimePoint start;
    bool trustedZone;  // pbx or trunk: only the PBX and the providers get past the zone ACL
    ~BusyTimer() {
      const base::Duration spent = path.clock_.now() - start;
      path.busy_.all += spent;
      if (trustedZone) path.busy_.trustedZones += spent;
    }
  } busyTimer{*this, clock_.now(), packet.zone != transport::Zone::kPublic};

  std::unique_ptr<sip::Message> message = parse(packet);
  if (message == nullptr) return Stage::kParse;
  if (!validate(*message, packet)) return Stage::kValidate;
  if (!guard(*message, packet)) return Stage::kGuard;
  if (!hops(*message, packet)) return Stage::kHops;
  dispatch(std::move(message), packet);
  return Stage::kDispatch;
}

InboundPath::Busy InboundPath::takeBusy() {
  const Busy taken = busy_;
  busy_ = {};
  return taken;
}

// --- the stages, in path order -----------------------------------------------------------

bool InboundPath::admit(const transport::Packet& packet) {
  // Banned and not-allowed sources cost one lookup each and silence, before any parsing.
  if (guard_.admitSource(packet)) return true;
  ++stats_.sourceDropped;
  return false;
}

bool InboundPath::keepAlive(const transport::Packet& packet) {
  // RFC 5626 §4.4.2: phones behind NAT keep their UDP flow open with STUN on the SIP port.
  if (packet.transport != config::TransportKind::kUdp || !transport::isStunMessage(packet.bytes)) {
    return true;
  }
  if (!guard_.admitKeepAlive(packet)) {
    ++stats_.stunDropped;
    return false;
  }
  std::optional<std::string> response = transport::stunBindingResponse(packet.bytes, packet.source);
  if (!response) {
    ++stats_.parseDropped;
    return false;
  }
  ++stats_.stunKeepAlives;
  out_.send(transport::SendTarget{.zone = packet.zone,
                                  .transport = packet.transport,
                                  .address = packet.source,
                                  .connection = 0},
            std::move(*response));
  return false;
}

std::unique_ptr<sip::Message> InboundPath::parse(transport::Packet& packet) {
  auto message = std::make_unique<sip::Message>();
  sip::ParseOptions options;
  options.framing = packet.transport == config::TransportKind::kUdp ? sip::Framing::kDatagram
                                                                    : sip::Framing::kStream;
  const sip::ParseStatus parsed = message->parse(std::move(packet.bytes), options);
  if (parsed.ok()) return message;
  // Without a parsed Via there is nobody to answer: count and drop.
  ++stats_.parseDropped;
  TG_LOG(kTransport, debug, "dropped an unparsable message from {}: {}", packet.source.toString(),
         parsed.reason);
  return nullptr;
}

bool InboundPath::validate(const sip::Message& message, const transport::Packet& packet) {
  const sip::Verdict verdict = sip::validate(message, config_->limits);
  if (verdict.ok()) return true;
  if (verdict.action == sip::VerdictAction::kReject && message.isRequest() &&
      message.method() != sip::Method::kAck && message.topVia() != nullptr) {
    rejectMalformed(message, packet, verdict);
  } else {
    ++stats_.responsesDropped;
    TG_LOG(kTransport, debug, "dropped a malformed message from {}: {}", packet.source.toString(),
           verdict.reason);
  }
  return false;
}

bool InboundPath::guard(const sip::Message& message, const transport::Packet& packet) {
  if (!message.isRequest()) return true;
  return passedGuard(guard_.checkRequest(message, packet, inKnownDialog(message, packet)), message,
                     packet);
}

// "In dialog" is a dialog the gateway knows, not a To tag anyone can write (issue 12 item 4).
// ACK is never answered and the transaction layer matches the ACK of a non-2xx by its branch,
// so it keeps passing on its To tag. A call on another worker is checked there: a request
// for no dialog of its is reported back through the B2BUA and meets the guard again.
bool InboundPath::inKnownDialog(const sip::Message& request,
                                const transport::Packet& packet) const {
  if (request.to() == nullptr) return false;
  const std::string_view toTag = request.to()->tag();
  if (toTag.empty()) return false;
  if (request.method() == sip::Method::kAck) return true;
  if (workers_.ownedElsewhere(request.callId())) return true;
  return self_.knowsDialog(packet.zone, request.callId(), toTag);
}

bool InboundPath::hops(const sip::Message& message, const transport::Packet& packet) {
  if (!message.isRequest() || message.maxForwards() != 0u ||
      message.method() == sip::Method::kOptions || message.method() == sip::Method::kAck) {
    return true;
  }
  answer(message, packet, 483, "Too Many Hops");
  return false;
}

void InboundPath::dispatch(std::unique_ptr<sip::Message> message, const transport::Packet& packet) {
  if (workers_.handOver(message, packet)) {
    ++stats_.handedOver;
    return;
  }
  self_.receive(std::move(message), packet, false);
}

// --- what the stages share ---------------------------------------------------------------

void InboundPath::rejectMalformed(const sip::Message& request, const transport::Packet& packet,
                                  const sip::Verdict& verdict) {
  // Broken requests are requests too: shed under overload, rate-limited, and (through the
  // answer below) part of the source's scanner score.
  if (!passedGuard(guard_.checkRejected(request, packet), request, packet)) return;
  ++stats_.rejected;
  // The log must not grow with a flood: one line per source per interval, with a count.
  if (const auto held = rejectReports_.admit(packet.source, packet.received,
                                             config_->guard.events.repeatInterval)) {
    if (*held == 0) {
      TG_LOG(kTransport, info, "rejected a {} from {}: {} {}", request.methodText(),
             packet.source.toString(), verdict.code, verdict.reason);
    } else {
      TG_LOG(kTransport, info,
             "rejected a {} from {}: {} {} ({} more rejected from there since the last report)",
             request.methodText(), packet.source.toString(), verdict.code, verdict.reason, *held);
    }
  }
  answer(request, packet, verdict.code, verdict.reason);
}

bool InboundPath::passedGuard(const guard::Verdict& verdict, const sip::Message& request,
                              const transport::Packet& packet) {
  if (verdict.passes()) return true;
  ++stats_.guardBlocked;
  if (verdict.action == guard::Action::kReply && request.method() != sip::Method::kAck) {
    answer(request, packet, verdict.code, verdict.reason, verdict.retryAfterS);
  }
  return false;
}

void InboundPath::answer(const sip::Message& request, const transport::Packet& packet, int code,
                         std::string_view reason, uint32_t retryAfterS) {
  auto b = sip::responseTo(request, code, reason, base::randomHex(8));
  if (!config_->b2bua.userAgent.empty()) {
    b.header(sip::HeaderId::kServer, config_->b2bua.userAgent);
  }
  if (retryAfterS > 0) b.header(sip::HeaderId::kRetryAfter, std::to_string(retryAfterS));
  out_.sendResponse(transaction::responseTarget(request, packet), code, b.build());
}

}  // namespace tg::app
