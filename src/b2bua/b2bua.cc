#include "b2bua/b2bua.h"

#include "auth/auth_service.h"
#include "b2bua/admission/standard_chain.h"
#include "base/log.h"
#include "base/random.h"
#include "sip/builder.h"

namespace tg::b2bua {
namespace {

using sip::HeaderId;
using sip::Method;
using transaction::ClientTransaction;
using transaction::ServerTransaction;
using transport::Zone;

std::string dialogKey(Zone zone, std::string_view callId) {
  std::string key(1, static_cast<char>('0' + static_cast<int>(zone)));
  key.append(callId);
  return key;
}

}  // namespace

std::string_view directionName(Direction d) {
  return d == Direction::kOutbound ? "outbound" : "inbound";
}

B2bua::B2bua(config::ConfigPtr config, base::TimerQueue& timers, EndpointLookup endpoints,
             db::CdrStore* cdrs)
    : ctx_(std::move(config), timers, std::move(endpoints), *this),
      counters_(ctx_.stats),
      policyTracker_(timers, *this, ctx_.stats),
      fraudTracker_(timers, *this),
      cdrWriter_(cdrs != nullptr ? std::make_unique<CdrWriter>(*cdrs) : nullptr),
      health_(timers, ctx_.config->health),
      ownBindings_(std::make_unique<Bindings>(timers.clock())),
      bindings_(ownBindings_.get()),
      messages_(ctx_),
      registrations_(timers.clock(), ctx_.endpoints),
      router_(ctx_, health_),
      phones_(ctx_, messages_, registrations_),
      admissionServices_(ctx_),
      admission_(admissionServices_, messages_, admission::standardFilters(admissionServices_)),
      invite_(ctx_, messages_, router_, phones_, health_),
      relay_(ctx_, messages_, invite_) {
  ctx_.newCallId = [] { return base::randomHex(16); };
  newUuid_ = [] { return base::randomHex(8); };
  admissionServices_.router = &router_;
  admissionServices_.chain = &admission_;
  admission_.setAdmitted([this](admission::CallContext& call) { launch(call); });
  ctx_.events.add(&counters_);
  ctx_.events.add(&policyTracker_);  // prices the call before the CDR writer records its end
  ctx_.events.add(&fraudTracker_);
  if (cdrWriter_ != nullptr) ctx_.events.add(cdrWriter_.get());
  registrations_.setServices(nullptr, bindings_);
  phones_.setServices(nullptr, bindings_);
  rebuildPeers();
}

void B2bua::setRemotePhones(auth::AuthService* auth, Bindings* bindings) {
  if (bindings != nullptr) {
    bindings_ = bindings;
    ownBindings_.reset();
  }
  registrations_.setServices(auth, bindings_);
  phones_.setServices(auth, bindings_);
  admissionServices_.auth = auth;
}

void B2bua::setCallPolicy(guard::policy::CallPolicy* policy) {
  admissionServices_.policy = policy;
  policyTracker_.setPolicy(policy);
}

void B2bua::setFraudDetector(guard::fraud::FraudDetector* detector) {
  admissionServices_.fraud = detector;
  fraudTracker_.setDetector(detector);
}

B2bua::~B2bua() {
  health_.stop();
  for (auto& [id, call] : calls_) {
    ctx_.timers.cancel(call->noAnswerTimer);
    ctx_.timers.cancel(call->durationTimer);
    ctx_.timers.cancel(call->ackReleaseTimer);
  }
}

void B2bua::attach(transaction::TransactionLayer& layer, transaction::Sender& sender) {
  ctx_.layer = &layer;
  ctx_.sender = &sender;
  registrations_.attach(layer);
}

void B2bua::updateConfig(config::ConfigPtr config) {
  ctx_.config = std::move(config);
  rebuildPeers();
}

void B2bua::rebuildPeers() {
  router_.rebuild();
  registrations_.updateConfig(ctx_.config, router_.pbxTargets());
}

void B2bua::startHealthChecks() {
  health_.start(*ctx_.layer, [this](const transport::SendTarget& target, std::string& branch) {
    return messages_.ping(target, branch);
  });
}

void B2bua::answerLocally(ServerTransaction& st, int code, std::string_view reason) {
  ctx_.layer->respond(st, code, messages_.localAnswer(st, code, reason));
}

// --- dispatch ---------------------------------------------------------------------------------

void B2bua::onRequest(ServerTransaction& st) {
  const sip::Message& req = st.request();
  if (!req.to()->tag().empty()) {
    const DialogRef* dialog = findDialog(st.target().zone, req.callId());
    Call* call = dialog == nullptr ? nullptr : findCall(dialog->callId);
    if (call == nullptr || call->leg(dialog->side).localTag != req.to()->tag()) {
      answerUnknownDialog(st);
      return;
    }
    relay_.onRequest(*call, dialog->side, st);
    return;
  }
  switch (req.method()) {
    case Method::kInvite:
      startCall(st);
      return;
    case Method::kOptions:
      answerLocally(st, 200);
      return;  // pings addressed to the gateway
    case Method::kRegister:
      // The PBX may register its trunk toward us; trunkguard itself holds the provider
      // registration (TLS/registration issue), so the PBX's attempt is accepted and ignored.
      if (st.target().zone == Zone::kPbx) {
        auto b = sip::responseTo(req, 200, {}, base::randomHex(8));
        if (req.has(HeaderId::kContact))
          b.header(HeaderId::kContact, req.value(HeaderId::kContact));
        b.header(HeaderId::kExpires,
                 req.has(HeaderId::kExpires) ? std::string(req.value(HeaderId::kExpires)) : "3600");
        ctx_.layer->respond(st, 200, b.build());
      } else if (st.target().zone == Zone::kPublic) {
        registrations_.onRegister(st);  // remote phones (registration_relay.h)
      } else {
        answerLocally(st, 403, "Registration Not Offered Here");
      }
      return;
    case Method::kRefer:
      answerLocally(st, 403, "REFER Not Allowed");
      return;
    case Method::kBye:
    case Method::kPrack:
    case Method::kUpdate:
    case Method::kInfo:
      answerLocally(st, 481);
      return;
    case Method::kUnknown:
      answerLocally(st, 501);
      return;
    default:
      answerLocally(st, 405);
      return;
  }
}

// A To tag no live dialog of ours carries: a forged or stale one. 481 (§12.2.2), counted, and
// told to the gateway, which records it as a probe.
void B2bua::answerUnknownDialog(ServerTransaction& st) {
  ++ctx_.stats.unknownDialog;
  // Reported first: answering may end the transaction and the request with it.
  if (onUnknownDialog_) onUnknownDialog_(st.request(), st.target());
  answerLocally(st, 481);
}

void B2bua::onStrayResponse(const sip::Message& response, const transport::Packet& packet) {
  if (response.cseq()->method == Method::kInvite && response.statusCode() >= 200 &&
      response.statusCode() < 300) {
    // A 2xx retransmitted after its transaction ended: re-ACK it if it is one of our calls'
    // B dialogs, else ACK and BYE it so no orphan dialog stays up.
    if (const DialogRef* dialog = findDialog(packet.zone, response.callId())) {
      if (Call* call = findCall(dialog->callId); call != nullptr && call->bAcked) {
        invite_.resendAckToB(*call);
        return;
      }
    }
    transport::SendTarget t;
    t.zone = packet.zone;
    t.transport = packet.transport;
    t.address = packet.source;
    t.connection = packet.connection;
    invite_.ackAndByeStray(response, t);
  }
}

// Every transaction of the B2BUA has an owner among its pieces: only server transactions
// answered at once reach these, and a stray ACK needs nothing.
void B2bua::onStrayAck(const sip::Message& /*ack*/, const transport::Packet& /*packet*/) {}
void B2bua::onResponse(ClientTransaction& /*ct*/, const sip::Message& /*response*/) {}
void B2bua::onClientFailure(ClientTransaction& /*ct*/, bool /*transportError*/) {}
void B2bua::onTerminated(transaction::Transaction& /*t*/) {}
void B2bua::onCancel(ServerTransaction& invite) {
  ctx_.layer->respond(invite, 487,
                      sip::responseTo(invite.request(), 487, {}, invite.localTag()).build());
}

// --- new calls --------------------------------------------------------------------------------

void B2bua::startCall(ServerTransaction& st) {
  const sip::Message& req = st.request();
  const Zone zone = st.target().zone;
  admission::CallContext admit;
  admit.invite = &st;
  admit.call = std::make_unique<Call>();
  Call& call = *admit.call;
  call.id = nextCallId_++;
  call.uuid = newUuid_();
  call.direction = zone == Zone::kPbx ? Direction::kOutbound : Direction::kInbound;
  call.zoneA = zone;
  call.zoneB = zone == Zone::kPbx ? Zone::kTrunk : Zone::kPbx;
  call.started = ctx_.timers.clock().wallNow();
  call.dialled = std::string(req.requestUri()->user);
  call.fromUri = std::string(req.from()->uri.text);
  // A PBX call for a registered remote phone goes to the phone, not to the providers (and is
  // an internal call: no toll-fraud policy).
  if (zone == Zone::kPbx) admit.phone = phones_.phoneFor(req);
  if (admit.phone) {
    call.zoneB = Zone::kPublic;
    call.dialled = admit.phone->account;
  }
  // RFC 5630: a SIPS Request-URI asks for TLS on every hop (the sips_route filter).
  call.sips =
      req.requestUri()->scheme == sip::UriScheme::kSips && call.direction == Direction::kOutbound;
  admission_.run(std::move(admit));
}

void B2bua::launch(admission::CallContext& admitted) {
  ServerTransaction& st = *admitted.invite;
  const sip::Message& req = st.request();
  const Zone zone = st.target().zone;
  std::unique_ptr<Call> owned = std::move(admitted.call);
  Call& call = *owned;
  const std::optional<Binding>& phone = admitted.phone;
  openLegA(call, st);
  call.toUri = std::string(req.requestUriText());
  if (const std::string_view user = req.requestUri()->user; call.dialled != user) {
    // The call code is a secret: the record keeps the number only.
    const size_t at = call.toUri.find(user);
    if (at != std::string::npos) call.toUri.replace(at, user.size(), call.dialled);
  }
  if (phone) {
    call.candidates.push_back(router_.phoneCandidate(*phone));
  } else {
    call.candidates = router_.candidates(call.direction, call.sips);
  }
  if (call.direction == Direction::kInbound) {
    call.provider = router_.sourceProvider(st.target().address);
  }

  invite_.adopt(st, call);
  call.aInvite = &st;
  indexDialog(zone, call.a.callId, call.id, Side::kA);
  calls_.emplace(call.id, std::move(owned));
  activeCalls_.store(calls_.size(), std::memory_order_relaxed);

  TG_LOG(kB2bua, info, "call={} {} call from {} over {} to {} (A Call-ID {})", call.uuid,
         directionName(call.direction), st.target().address.toString(),
         config::transportName(st.target().transport), call.dialled, call.a.callId);
  ctx_.events.started(recordOf(call));

  const uint64_t id = call.id;
  call.noAnswerTimer = ctx_.timers.schedule(ctx_.config->b2bua.noAnswerTimeout, [this, id] {
    if (Call* c = findCall(id)) {
      c->noAnswerTimer = base::kNoTimer;
      c->endReason = "no answer";
      c->cancelled = true;
      invite_.respondA(*c, 480, "No Answer", nullptr);
      if (c->bInvite != nullptr && c->bInvite->receivedProvisional()) invite_.cancelB(*c);
      if (c->bInvite == nullptr) {
        endNow(*c, Disposition::kNoAnswer, 480, "no answer");
      } else {
        recordEnd(*c, Disposition::kNoAnswer, 480, "no answer");
      }
    }
  });
  if (!invite_.sendNext(call)) {
    invite_.respondA(call, 503, "No Route Available", nullptr);
    endNow(call, Disposition::kFailed, 503, "no provider available");
  }
}

void B2bua::openLegA(Call& call, const ServerTransaction& st) {
  const sip::Message& req = st.request();
  Leg& a = call.a;
  a.callId = std::string(req.callId());
  a.remoteTag = std::string(req.from()->tag());
  a.localTag = base::randomHex(8);
  a.localParty = withTag(req.value(HeaderId::kTo), a.localTag);
  a.remoteParty = std::string(req.value(HeaderId::kFrom));
  a.remoteTarget = std::string(contactUri(req));
  a.routeSet = listElements(req, HeaderId::kRecordRoute);
  a.remoteCseq = a.inviteCseq = req.cseq()->number;
  a.peer = st.target();
  a.localContact = messages_.contactFor(call.zoneA, st.target().transport);
}

// --- the call table and teardown ----------------------------------------------------------------

Call* B2bua::findCall(uint64_t id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

const B2bua::DialogRef* B2bua::findDialog(Zone zone, std::string_view callId) const {
  dialogKeyScratch_.assign(1, static_cast<char>('0' + static_cast<int>(zone)));
  dialogKeyScratch_.append(callId);
  auto it = dialogs_.find(dialogKeyScratch_);
  return it == dialogs_.end() ? nullptr : &it->second;
}

bool B2bua::knowsDialog(Zone zone, std::string_view callId, std::string_view toTag) const {
  const DialogRef* dialog = findDialog(zone, callId);
  if (dialog == nullptr) return false;
  auto it = calls_.find(dialog->callId);
  return it != calls_.end() && !toTag.empty() && it->second->leg(dialog->side).localTag == toTag;
}

void B2bua::indexDialog(Zone zone, std::string_view callId, uint64_t call, Side side) {
  dialogs_[dialogKey(zone, callId)] = {call, side};
}

void B2bua::forgetDialog(Zone zone, std::string_view callId) {
  dialogs_.erase(dialogKey(zone, callId));
}

bool B2bua::endCall(uint64_t callId, EndCause cause, std::string_view detail) {
  Call* call = findCall(callId);
  // A call already ending (cancelled, or ended before the answer) keeps how it ends.
  if (call == nullptr || call->state == CallState::kEnded || call->cancelled) return false;
  TG_LOG(kB2bua, info, "call={} ended by the gateway ({}): {}", call->uuid, endCauseName(cause),
         detail);
  call->endReason = "ended-by-gateway: " + std::string(detail);
  call->endCause = cause;
  if (call->state == CallState::kConfirmed) {
    relay_.sendBye(*call, Side::kA);
    relay_.sendBye(*call, Side::kB);
    endNow(*call, Disposition::kAnswered, 200, call->endReason);
    return true;
  }
  call->cancelled = true;
  invite_.respondA(*call, 480, "Call Ended By Gateway", nullptr);
  if (call->bInvite != nullptr && call->bInvite->receivedProvisional()) invite_.cancelB(*call);
  if (call->bInvite == nullptr) {
    endNow(*call, Disposition::kFailed, 480, call->endReason);
  } else {
    recordEnd(*call, Disposition::kFailed, 480, call->endReason);  // A was told; B winds down
  }
  return true;
}

bool B2bua::endCallByUuid(std::string_view uuid, EndCause cause, std::string_view detail) {
  for (const auto& [id, call] : calls_) {
    if (call->uuid == uuid) return endCall(id, cause, detail);
  }
  return false;
}

size_t B2bua::endCallsWhere(const std::function<std::string(const Call&)>& why, EndCause cause) {
  // Decide first, end after: ending a call erases it from the table being walked.
  std::vector<std::pair<uint64_t, std::string>> doomed;
  for (const auto& [id, call] : calls_) {
    if (call->state == CallState::kEnded) continue;
    std::string detail = why(*call);
    if (!detail.empty()) doomed.emplace_back(id, std::move(detail));
  }
  size_t ended = 0;
  for (const auto& [id, detail] : doomed) {
    if (endCall(id, cause, detail)) ++ended;
  }
  return ended;
}

void B2bua::endNow(Call& call, Disposition disposition, int code, std::string_view reason) {
  if (call.state == CallState::kEnded) return;
  recordEnd(call, disposition, code, reason);
  call.state = CallState::kEnded;
  ctx_.timers.cancel(call.noAnswerTimer);
  ctx_.timers.cancel(call.durationTimer);
  ctx_.timers.cancel(call.ackReleaseTimer);
  call.noAnswerTimer = call.durationTimer = call.ackReleaseTimer = base::kNoTimer;
  eraseCall(call.id);
}

void B2bua::recordEnd(Call& call, Disposition disposition, int code, std::string_view reason) {
  if (call.recorded) return;  // A's answer fixed how the call ended; B's wind-down does not
  call.recorded = true;
  CallRecord record = recordOf(call);
  record.endTime = ctx_.timers.clock().wallNow();
  if (call.aAnswered) {
    record.durationMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            ctx_.timers.clock().now() - call.answeredMono)
                            .count();
  }
  record.disposition = disposition;
  record.sipCode = code;
  record.endReason = std::string(reason);
  TG_LOG(kB2bua, info, "call={} ended: {} {} ({}), {} ms", call.uuid, dispositionName(disposition),
         code, reason, record.durationMs);
  ctx_.events.ended(record);
}

size_t B2bua::endAllAtShutdown() {
  std::vector<uint64_t> ids;
  ids.reserve(calls_.size());
  for (const auto& [id, call] : calls_) ids.push_back(id);
  for (uint64_t id : ids) {
    Call* call = findCall(id);
    if (call == nullptr) continue;
    call->endCause = EndCause::kShutdown;
    if (call->endReason.empty()) call->endReason = "ended-by-gateway: gateway shutting down";
    if (call->state == CallState::kConfirmed) {
      endNow(*call, Disposition::kAnswered, 200, call->endReason);
    } else {
      endNow(*call, call->cancelled ? Disposition::kCancelled : Disposition::kFailed,
             call->cancelled ? 487 : 480, call->endReason);
    }
  }
  return ids.size();
}

void B2bua::endAbandoned(Call& call) {
  if (call.endReason == "no answer") {
    endNow(call, Disposition::kNoAnswer, 480, "no answer");
  } else if (!call.endReason.empty()) {
    endNow(call, Disposition::kFailed, 480, call.endReason);  // endCall() before the answer
  } else {
    endNow(call, Disposition::kCancelled, 487, "cancelled by caller");
  }
}

void B2bua::eraseCall(uint64_t callId) {
  auto it = calls_.find(callId);
  if (it == calls_.end()) return;
  Call& call = *it->second;
  forgetDialog(call.zoneA, call.a.callId);
  if (!call.b.callId.empty()) forgetDialog(call.zoneB, call.b.callId);
  relay_.abandon(call);
  if (call.aInvite != nullptr) {
    ServerTransaction& st = *call.aInvite;
    call.aInvite = nullptr;
    ctx_.layer->respond(st, 500, messages_.response(st, call.a, 500, "Call Ended", nullptr));
  }
  calls_.erase(it);
  activeCalls_.store(calls_.size(), std::memory_order_relaxed);
}

std::vector<CallSummary> B2bua::activeCalls() const {
  std::vector<CallSummary> out;
  out.reserve(calls_.size());
  for (const auto& [id, c] : calls_) {
    out.push_back({c->id, c->uuid, c->direction, c->state, c->provider, c->dialled, c->zoneA,
                   c->a.peer.address.toString(), c->account, c->started});
  }
  return out;
}

}  // namespace tg::b2bua
