#include "b2bua/b2bua.h"

#include <algorithm>
#include <charconv>

#include "auth/auth_service.h"
#include "base/log.h"
#include "base/random.h"
#include "guard/enumeration.h"
#include "sip/auth_header.h"
#include "sip/builder.h"
#include "sip/header_values.h"
#include "sip/identity_headers.h"
#include "sip/scan.h"
#include "trunk/challenge_retry.h"

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

std::string withTag(std::string_view value, std::string_view tag) {
  std::string s(value);
  s.append(";tag=");
  s.append(tag);
  return s;
}

// Headers that describe one hop or one dialog: never copied across, whatever the allowlist
// says, since copying them would leak the other side's topology (B2BUA.md "What never crosses").
bool neverCopied(std::string_view name) {
  const sip::HeaderId id = sip::headerIdFromName(name);
  switch (id) {
    case HeaderId::kVia: case HeaderId::kRoute: case HeaderId::kRecordRoute:
    case HeaderId::kContact: case HeaderId::kCallId: case HeaderId::kFrom: case HeaderId::kTo:
    case HeaderId::kCSeq: case HeaderId::kMaxForwards: case HeaderId::kContentLength:
    case HeaderId::kContentType: case HeaderId::kUserAgent: case HeaderId::kServer:
    case HeaderId::kAuthorization: case HeaderId::kProxyAuthorization:
    case HeaderId::kWwwAuthenticate: case HeaderId::kProxyAuthenticate: case HeaderId::kRSeq:
    case HeaderId::kRAck: case HeaderId::kWarning:
    // Identity is the call policy's decision (caller ID checks and rewrites), never what a
    // peer asserted: a hacked PBX or a provider could otherwise pick any caller ID.
    case HeaderId::kPAssertedIdentity: case HeaderId::kPPreferredIdentity:
    case HeaderId::kRemotePartyId:
      return true;
    default:
      return sip::startsWithIgnoreCase(name, "X-");
  }
}

std::string_view dispositionFor(int code, bool cancelled) {
  if (code >= 200 && code < 300) return "answered";
  if (cancelled || code == 487) return "cancelled";
  if (code == 486 || code == 600) return "busy";
  if (code == 408 || code == 480) return "no-answer";
  return "failed";
}

// The first element of each field, in order (for Record-Route and Route lists).
std::vector<std::string> listElements(const sip::Message& m, HeaderId id) {
  std::vector<std::string> out;
  m.forEachElement(id, [&](std::string_view e) { out.emplace_back(e); });
  return out;
}

std::string_view contactUri(const sip::Message& m) {
  const sip::NameAddr* c = m.contact();
  return c != nullptr ? c->uri.text : std::string_view{};
}

// The first user of a P-Asserted-Identity (sip or tel URI); empty when absent or malformed.
std::string assertedUser(const sip::Message& m) {
  if (!m.has(HeaderId::kPAssertedIdentity)) return {};
  auto ids = sip::parseAssertedIdentity(m.value(HeaderId::kPAssertedIdentity));
  if (!ids) return {};
  for (const sip::NameAddr& id : *ids) {
    if (!id.uri.user.empty()) return std::string(id.uri.user);
  }
  return {};
}

// RFC 3323: Privacy id (or a malformed Privacy, read the cautious way), or an anonymous From
// (RFC 3323 §4.1.1.3: "Anonymous" <sip:anonymous@anonymous.invalid>).
bool isAnonymous(const sip::Message& m) {
  if (m.has(HeaderId::kPrivacy)) {
    auto flags = sip::parsePrivacy(m.value(HeaderId::kPrivacy));
    if (!flags || (*flags & sip::kPrivacyId) != 0) return true;
  }
  const sip::NameAddr* from = m.from();
  return sip::equalsIgnoreCase(from->uri.user, "anonymous") ||
         sip::equalsIgnoreCase(from->uri.host, "anonymous.invalid");
}

// Text for a quoted-string (Reason: text="..."): no quotes, backslashes or control bytes.
std::string quotable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 128)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c != '"' && c != '\\' && byte >= 0x20 && byte != 0x7f) out.push_back(c);
  }
  return out;
}

const config::Provider* providerNamed(const config::Config& c, std::string_view name) {
  for (const config::Provider& p : c.trunk.providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace

std::string_view directionName(Direction d) {
  return d == Direction::kOutbound ? "outbound" : "inbound";
}

B2bua::B2bua(config::ConfigPtr config, base::TimerQueue& timers, EndpointLookup endpoints,
             db::CdrStore* cdrs)
    : config_(std::move(config)),
      timers_(timers),
      endpoints_(std::move(endpoints)),
      cdrs_(cdrs),
      health_(std::make_unique<HealthMonitor>(timers, config_->health)) {
  ownBindings_ = std::make_unique<Bindings>(timers_.clock());
  bindings_ = ownBindings_.get();
  registrations_ = std::make_unique<RegistrationRelay>(timers_.clock(), endpoints_);
  registrations_->setServices(nullptr, bindings_);
  rebuildPeers();
}

void B2bua::setRemotePhones(auth::AuthService* auth, Bindings* bindings) {
  auth_ = auth;
  if (bindings != nullptr) {
    bindings_ = bindings;
    ownBindings_.reset();
  }
  registrations_->setServices(auth_, bindings_);
}

B2bua::~B2bua() {
  health_->stop();
  timers_.cancel(capPoll_);
  for (auto& [key, timer] : byedStrays_) timers_.cancel(timer);
  for (auto& [key, c] : challenged_) timers_.cancel(c.expiry);
  for (auto& [id, call] : calls_) {
    timers_.cancel(call->noAnswerTimer);
    timers_.cancel(call->durationTimer);
    timers_.cancel(call->ackReleaseTimer);
    // The engine is shared and outlives this worker: release what it counts for us.
    if (policy_ != nullptr && call->policyHandle != 0) {
      policy_->ended(call->policyHandle, timers_.clock().now());
    }
  }
}

void B2bua::attach(transaction::TransactionLayer& layer, transaction::Sender& sender) {
  layer_ = &layer;
  sender_ = &sender;
  registrations_->attach(layer);
}

void B2bua::updateConfig(config::ConfigPtr config) {
  config_ = std::move(config);
  rebuildPeers();
}

void B2bua::rebuildPeers() {
  pbxTargets_.clear();
  std::vector<PeerHealth> peers;
  auto toTarget = [](const config::PeerTarget& p, Zone zone) {
    transport::SendTarget t;
    t.zone = zone;
    t.transport = p.transport;
    if (auto a = base::Address::parse(p.host, p.port)) t.address = *a;
    return t;
  };
  auto peer = [](std::string name, const std::vector<transport::SendTarget>& targets) {
    PeerHealth h;
    h.name = std::move(name);
    h.addresses.resize(targets.size());
    for (size_t i = 0; i < targets.size(); ++i) h.addresses[i].target = targets[i];
    return h;
  };
  // Health peers: the providers (each with every address), then the PBX targets.
  providerAddressLists_.clear();
  for (const config::Provider& p : config_->trunk.providers) {
    std::vector<transport::SendTarget> all;
    if (providerAddresses_ != nullptr) all = providerAddresses_->targetsOf(p.name);
    if (all.empty()) all.push_back(toTarget(p.target, Zone::kTrunk));  // unresolved: skipped
    peers.push_back(peer(p.name, all));
    providerAddressLists_.push_back(std::move(all));
  }
  for (size_t i = 0; i < config_->pbx.targets.size(); ++i) {
    pbxTargets_.push_back(toTarget(config_->pbx.targets[i], Zone::kPbx));
    peers.push_back(peer(i == 0 ? "pbx" : "pbx#" + std::to_string(i + 1), {pbxTargets_.back()}));
  }
  health_->setPeers(std::move(peers));
  registrations_->updateConfig(config_, pbxTargets_);
}

void B2bua::startHealthChecks() {
  health_->start(*layer_, [this](const transport::SendTarget& target, std::string& branch) {
    const transport::LocalEndpoint* local = endpoints_(target.zone, target.transport);
    if (local == nullptr || !target.address.valid()) return std::string();
    branch = transaction::TransactionLayer::newBranch();
    const std::string uri = "sip:" + target.address.toString();
    const std::string self = "<sip:trunkguard@" + local->address.toString() + ">";
    auto b = sip::MessageBuilder::request("OPTIONS", uri);
    b.header(HeaderId::kVia, via(target.zone, target.transport, branch));
    b.header(HeaderId::kMaxForwards, "70");
    b.header(HeaderId::kFrom, withTag(self, base::randomHex(6)));
    b.header(HeaderId::kTo, "<" + uri + ">");
    b.header(HeaderId::kCallId, newCallId_());
    b.header(HeaderId::kCSeq, "1 OPTIONS");
    if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kUserAgent, config_->b2bua.userAgent);
    return b.build();
  });
}

Call* B2bua::findCall(uint64_t id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

// --- message construction -------------------------------------------------------------------

std::string B2bua::via(Zone zone, config::TransportKind transport,
                       const std::string& branch) const {
  const transport::LocalEndpoint* local = endpoints_(zone, transport);
  std::string v = "SIP/2.0/";
  v.append(config::viaTransportName(transport));
  v.push_back(' ');
  v.append(local != nullptr ? local->address.toString() : "invalid");
  v.append(";branch=");
  v.append(branch);
  v.append(";rport");
  return v;
}

std::string B2bua::contactFor(Zone zone, config::TransportKind transport, bool sips) const {
  const transport::LocalEndpoint* local = endpoints_(zone, transport);
  // RFC 3261 §8.1.1.8: the Contact of a request to a SIPS URI is a SIPS URI.
  std::string c = sips ? "<sips:trunkguard@" : "<sip:trunkguard@";
  c.append(local != nullptr ? local->address.toString() : "invalid");
  // RFC 3261 §19.1.2: a stream transport is named in the URI, so in-dialog requests come
  // back over it (never over UDP in the clear for a TLS leg).
  if (transport != config::TransportKind::kUdp && !sips) {
    c.append(";transport=");
    c.append(config::transportName(transport));
  }
  c.push_back('>');
  return c;
}

void B2bua::copyAllowedHeaders(const sip::Message& from, sip::MessageBuilder& out) const {
  for (const std::string& name : config_->b2bua.copyHeaders) {
    if (neverCopied(name)) continue;
    const HeaderId id = sip::headerIdFromName(name);
    for (const sip::HeaderField& f : from.headers()) {
      if (id != HeaderId::kUnknown ? f.id == id : sip::equalsIgnoreCase(f.name, name)) {
        out.header(id != HeaderId::kUnknown ? sip::headerName(id) : std::string_view(name),
                   f.value);
      }
    }
  }
}

std::string B2bua::buildInDialog(const Leg& leg, Zone zone, std::string_view method,
                                 uint32_t cseq, const std::string& branch,
                                 const sip::Message* copyFrom, const ExtraHeaders& extra) const {
  auto b = sip::MessageBuilder::request(method, leg.remoteTarget);
  b.header(HeaderId::kVia, via(zone, leg.peer.transport, branch));
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kFrom, leg.localParty);
  b.header(HeaderId::kTo, leg.remoteParty);
  b.header(HeaderId::kCallId, leg.callId);
  b.header(HeaderId::kCSeq, std::to_string(cseq) + " " + std::string(method));
  for (const std::string& r : leg.routeSet) b.header(HeaderId::kRoute, r);
  if (method == "INVITE" || method == "UPDATE" || method == "REFER" || method == "NOTIFY" ||
      method == "SUBSCRIBE") {
    b.header(HeaderId::kContact, leg.localContact);
  }
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kUserAgent, config_->b2bua.userAgent);
  for (const auto& [name, value] : extra) b.header(name, value);
  if (copyFrom != nullptr) {
    copyAllowedHeaders(*copyFrom, b);
    if (!copyFrom->body().empty()) {
      b.body(copyFrom->value(HeaderId::kContentType), copyFrom->body());
    }
  }
  return b.build();
}

std::string B2bua::responseFor(const ServerTransaction& st, const Leg& leg, int code,
                               std::string_view reason, const sip::Message* copyFrom) const {
  // A relayed reason phrase is the far side's free text (like a Warning): keep it off the
  // trunk, where the standard phrase for the code says enough.
  if (copyFrom != nullptr && st.target().zone != Zone::kPbx) reason = {};
  auto b = sip::responseTo(st.request(), code, reason, leg.localTag);
  // Contact only where §20 Table 3 has it: 1xx/2xx to requests that create or refresh a
  // dialog's target, never in answers to BYE, CANCEL, INFO, PRACK or OPTIONS.
  const Method m = st.request().method();
  if (code > 100 && code < 300 &&
      (m == Method::kInvite || m == Method::kUpdate || m == Method::kSubscribe ||
       m == Method::kNotify || m == Method::kRefer)) {
    b.header(HeaderId::kContact, leg.localContact);
  }
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kServer, config_->b2bua.userAgent);
  if (copyFrom != nullptr) {
    copyAllowedHeaders(*copyFrom, b);
    if (!copyFrom->body().empty()) {
      b.body(copyFrom->value(HeaderId::kContentType), copyFrom->body());
    }
  }
  return b.build();
}

void B2bua::answerLocally(ServerTransaction& st, int code, std::string_view reason) {
  auto b = sip::responseTo(st.request(), code, reason, base::randomHex(8));
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kServer, config_->b2bua.userAgent);
  if (code == 405 || (code == 200 && st.request().method() == Method::kOptions)) {
    b.header(HeaderId::kAllow, "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK");
  }
  if (code == 200 && st.request().method() == Method::kOptions) {
    b.header(HeaderId::kAccept, "application/sdp");
    b.header(HeaderId::kSupported, "100rel, timer");
  }
  if (code == 420) {
    // Name the extensions we do not support (§20.40).
    std::string unsupported;
    st.request().forEachElement(HeaderId::kRequire, [&](std::string_view t) {
      if (!sip::equalsIgnoreCase(t, "100rel") && !sip::equalsIgnoreCase(t, "timer")) {
        if (!unsupported.empty()) unsupported.append(", ");
        unsupported.append(t);
      }
    });
    b.header(HeaderId::kUnsupported, unsupported);
  }
  layer_->respond(st, code, b.build());
}

bool B2bua::anyTlsProvider() const {
  return std::any_of(config_->trunk.providers.begin(), config_->trunk.providers.end(),
                     [](const config::Provider& p) {
                       return p.target.transport == config::TransportKind::kTls;
                     });
}

void B2bua::answerSipsNotAllowed(ServerTransaction& st) {
  auto b = sip::responseTo(st.request(), 480, {}, base::randomHex(8));
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kServer, config_->b2bua.userAgent);
  // RFC 5630 §3.3: warn-code 380, the request cannot be completed over TLS on every hop.
  const transport::LocalEndpoint* local = endpoints_(st.target().zone, st.target().transport);
  b.header(HeaderId::kWarning, "380 " + (local != nullptr ? local->address.sipHost() : "trunkguard") +
                                   " \"SIPS Not Allowed\"");
  layer_->respond(st, 480, b.build());
}

void B2bua::respondA(Call& call, int code, std::string_view reason, const sip::Message* copyFrom) {
  if (call.aInvite == nullptr) return;
  ServerTransaction& st = *call.aInvite;
  st.setLocalTag(call.a.localTag);  // the transaction matches the 2xx's ACK by this tag
  if (code >= 200) call.aInvite = nullptr;
  layer_->respond(st, code, responseFor(st, call.a, code, reason, copyFrom));
}

// --- new requests ---------------------------------------------------------------------------

void B2bua::onRequest(ServerTransaction& st) {
  const sip::Message& req = st.request();
  if (!req.to()->tag().empty()) {
    inDialogRequest(st);
    return;
  }
  switch (req.method()) {
    case Method::kInvite: startCall(st); return;
    case Method::kOptions: answerLocally(st, 200); return;  // pings addressed to the gateway
    case Method::kRegister:
      // The PBX may register its trunk toward us; trunkguard itself holds the provider
      // registration (TLS/registration issue), so the PBX's attempt is accepted and ignored.
      if (st.target().zone == Zone::kPbx) {
        auto b = sip::responseTo(req, 200, {}, base::randomHex(8));
        if (req.has(HeaderId::kContact)) b.header(HeaderId::kContact, req.value(HeaderId::kContact));
        b.header(HeaderId::kExpires, req.has(HeaderId::kExpires)
                                         ? std::string(req.value(HeaderId::kExpires)) : "3600");
        layer_->respond(st, 200, b.build());
      } else if (st.target().zone == Zone::kPublic) {
        registrations_->onRegister(st);  // remote phones (registration_relay.h)
      } else {
        answerLocally(st, 403, "Registration Not Offered Here");
      }
      return;
    case Method::kRefer: answerLocally(st, 403, "REFER Not Allowed"); return;
    case Method::kBye:
    case Method::kPrack:
    case Method::kUpdate:
    case Method::kInfo: answerLocally(st, 481); return;
    case Method::kUnknown: answerLocally(st, 501); return;
    default: answerLocally(st, 405); return;
  }
}

void B2bua::startCall(ServerTransaction& st) {
  const sip::Message& req = st.request();
  const Zone zone = st.target().zone;
  PhoneAdmission phoneCall;  // what admitPhone() learns, moved into the call below
  if (zone == Zone::kPublic && !admitPhone(st, phoneCall)) return;
  bool unsupported = false;
  req.forEachElement(HeaderId::kRequire, [&](std::string_view t) {
    if (!sip::equalsIgnoreCase(t, "100rel") && !sip::equalsIgnoreCase(t, "timer")) {
      unsupported = true;
    }
  });
  if (unsupported) {
    answerLocally(st, 420);
    return;
  }
  const sip::Uri* ruri = req.requestUri();
  if (ruri->user.empty()) {
    answerLocally(st, 484, "No Number Dialled");
    return;
  }
  if (!req.body().empty()) {
    auto type = sip::parseMediaType(req.value(HeaderId::kContentType));
    if (!type || !(type->is("application", "sdp") || sip::equalsIgnoreCase(type->type, "multipart"))) {
      answerLocally(st, 415);
      return;
    }
  }
  if (req.contact() == nullptr) {
    answerLocally(st, 400, "Missing Contact");
    return;
  }
  if (req.maxForwards().value_or(70) == 0) {
    // RFC 3261 §8.1.1.6, RFC 7332 §3: the hop limit is spent; a new leg with a fresh
    // Max-Forwards would let a routing loop through the gateway run forever.
    answerLocally(st, 483);
    return;
  }

  auto owned = std::make_unique<Call>();
  Call& call = *owned;
  call.id = nextCallId_++;
  call.uuid = base::randomHex(8);
  call.direction = zone == Zone::kPbx ? Direction::kOutbound : Direction::kInbound;
  call.zoneA = zone;
  call.zoneB = zone == Zone::kPbx ? Zone::kTrunk : Zone::kPbx;
  call.started = timers_.clock().wallNow();
  call.dialled = std::string(ruri->user);
  call.account = std::move(phoneCall.account);
  call.authWatchKey = std::move(phoneCall.authWatchKey);
  call.stripCredentials = phoneCall.stripCredentials;
  // A PBX call for a registered remote phone goes to the phone, not to the providers (and is
  // an internal call: no toll-fraud policy).
  const std::optional<Binding> phone = zone == Zone::kPbx ? phoneFor(req) : std::nullopt;
  if (phone) {
    call.zoneB = Zone::kPublic;
    call.dialled = phone->account;
  }
  // RFC 5630: a SIPS Request-URI asks for TLS on every hop. An outbound call leaves over TLS
  // or not at all, never downgraded to a plaintext provider. (Towards the PBX trunkguard ends
  // the caller's hop: its leg to the PBX uses the PBX's configured transport.)
  call.sips = ruri->scheme == sip::UriScheme::kSips && call.direction == Direction::kOutbound;
  if (call.sips && !anyTlsProvider()) {
    TG_LOG(kB2bua, info, "call={} a sips: call from {}, and no provider is reached over TLS: "
           "refused with 480 (Warning 380)", call.uuid, st.target().address.toString());
    answerSipsNotAllowed(st);
    return;
  }
  if (policy_ != nullptr && policy_->enabled() && !phone && !admitByPolicy(st, call)) return;

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
  a.localContact = contactFor(zone, st.target().transport);

  // Candidates: healthy peers in priority order; when none is healthy, try them all anyway.
  // Health peers are the providers (config order), then the PBX targets (rebuildPeers()).
  const bool outbound = call.direction == Direction::kOutbound;
  const size_t count = outbound ? providerAddressLists_.size() : pbxTargets_.size();
  const size_t healthBase = outbound ? 0 : providerAddressLists_.size();
  const std::vector<PeerHealth>& peers = health_->peers();
  auto candidate = [&](size_t i) {
    Call::Candidate c;
    c.name = outbound ? config_->trunk.providers[i].name : std::string("pbx");
    c.domain = outbound ? config_->trunk.providers[i].domain : config_->pbx.domain;
    // A provider found by name keeps that name in its URIs: DNS says where, not who.
    if (outbound && c.domain.empty()) {
      const std::string& host = config_->trunk.providers[i].target.host;
      if (!base::Address::parse(host, 0)) c.domain = host;
    }
    return c;
  };
  // A provider's addresses (SRV targets) are tried before the next provider: those that answer
  // first, in SRV order, then the others (a down address may still be the one that works).
  auto addCandidates = [&](size_t i) {
    if (healthBase + i >= peers.size()) return;
    const PeerHealth& peer = peers[healthBase + i];
    Call::Candidate c = candidate(i);
    for (bool up : {true, false}) {
      for (const AddressHealth& address : peer.addresses) {
        if (address.up != up) continue;
        c.target = address.target;
        c.healthId = address.id;
        call.candidates.push_back(c);
      }
    }
  };
  for (size_t i = 0; i < count; ++i) {
    if (health_->isUp(healthBase + i)) addCandidates(i);
  }
  if (call.candidates.empty()) {
    for (size_t i = 0; i < count; ++i) addCandidates(i);
  }
  if (call.sips) {
    std::erase_if(call.candidates, [](const Call::Candidate& c) {
      return c.target.transport != config::TransportKind::kTls;
    });
  }
  if (phone) {
    call.candidates.clear();
    Call::Candidate c;
    c.target = phone->phone;  // its source address (rport): a phone behind NAT
    c.name = "phone/" + phone->account;
    const transport::LocalEndpoint* pub = endpoints_(Zone::kPublic, phone->phone.transport);
    c.domain = pub != nullptr ? pub->address.toString() : "invalid";
    c.requestUri = phone->phoneContact;
    c.healthId = HealthMonitor::kNoAddress;  // phones are not health-checked
    call.candidates.push_back(std::move(c));
    ++stats_.callsToPhones;
  }
  if (zone == Zone::kPublic) ++stats_.phoneCalls;
  if (call.direction == Direction::kInbound) {
    for (const config::Provider& p : config_->trunk.providers) {
      for (const config::Cidr& c : p.allowedSources) {
        if (call.provider.empty() && c.contains(st.target().address)) call.provider = p.name;
      }
    }
  }

  st.owner = &inviteOwner_;
  st.ownerId = call.id;
  st.setLocalTag(a.localTag);  // so that the layer's 200 to a CANCEL carries the same To tag
  call.aInvite = &st;
  dialogs_[dialogKey(zone, a.callId)] = {call.id, Side::kA};
  ++stats_.callsStarted;
  calls_.emplace(call.id, std::move(owned));
  if (call.policyHandle != 0) {
    policyCalls_[call.policyHandle] = call.id;
    armCapPoll();
  }

  TG_LOG(kB2bua, info, "call={} {} call from {} over {} to {} (A Call-ID {})", call.uuid,
         directionName(call.direction), st.target().address.toString(),
         config::transportName(st.target().transport), call.dialled, a.callId);
  if (cdrs_ != nullptr) {
    db::CdrRecord r;
    r.callUuid = call.uuid;
    r.direction = std::string(directionName(call.direction));
    r.aCallId = a.callId;
    r.aFromTag = a.remoteTag;
    r.aToTag = a.localTag;
    r.provider = call.provider;
    r.fromUri = std::string(req.from()->uri.text);
    r.toUri = std::string(req.requestUriText());
    if (call.dialled != ruri->user) {
      // The call code is a secret: the record keeps the number only.
      const size_t at = r.toUri.find(ruri->user);
      if (at != std::string::npos) r.toUri.replace(at, ruri->user.size(), call.dialled);
    }
    r.account = call.account;
    r.dialledE164 = call.e164;
    r.destinationClass = call.destinationClass;
    r.policyRule = call.policyRule;
    r.sourceAddress = st.target().address.toString();
    r.aTransport = std::string(config::transportName(st.target().transport));
    r.startTime = call.started;
    r.disposition = "in-progress";
    cdrs_->recordStart(r);
  }

  const uint64_t id = call.id;
  call.noAnswerTimer = timers_.schedule(config_->b2bua.noAnswerTimeout, [this, id] {
    if (Call* c = findCall(id)) {
      c->noAnswerTimer = base::kNoTimer;
      c->endReason = "no answer";
      c->cancelled = true;
      respondA(*c, 480, "No Answer", nullptr);
      if (c->bInvite != nullptr && c->bInvite->receivedProvisional()) cancelB(*c);
      if (c->bInvite == nullptr) endNow(*c, "no-answer", 480, "no answer");
    }
  });
  if (!sendInitialInvite(call)) {
    respondA(call, 503, "No Route Available", nullptr);
    endNow(call, "failed", 503, "no provider available");
  }
}

bool B2bua::sendInitialInvite(Call& call) {
  if (call.candidates.empty()) return false;
  const Call::Candidate next = std::move(call.candidates.front());
  call.candidates.erase(call.candidates.begin());
  const bool outbound = call.direction == Direction::kOutbound;
  const transport::SendTarget& target = next.target;
  if (!target.address.valid()) return sendInitialInvite(call);
  call.healthId = next.healthId;
  if (outbound) call.provider = next.name;
  const std::string& domain = next.domain;
  const std::string host = domain.empty() ? target.address.toString() : domain;

  const ServerTransaction& st = *call.aInvite;
  const sip::Message& req = st.request();
  Leg& b = call.b;
  if (!b.callId.empty()) dialogs_.erase(dialogKey(call.zoneB, b.callId));
  b = Leg{};
  call.bCancelSent = false;
  b.callId = newCallId_();
  b.localTag = base::randomHex(8);
  b.localCseq = b.inviteCseq = 1;
  if (call.zoneA == Zone::kPublic) {
    // The retry of an INVITE the PBX challenged goes on in the dialog it challenged.
    auto it = challenged_.find(call.a.callId + ' ' + call.a.remoteTag);
    if (it != challenged_.end()) {
      b.callId = std::move(it->second.callId);
      b.localTag = std::move(it->second.localTag);
      b.localCseq = b.inviteCseq = it->second.cseq + 1;
      timers_.cancel(it->second.expiry);
      challenged_.erase(it);
    }
  }
  b.peer = target;
  b.localContact = contactFor(call.zoneB, target.transport, call.sips);
  if (call.sips) {
    b.remoteTarget = "sips:" + call.dialled + "@" + host;  // TLS is implied (RFC 5630 §3.1.3)
  } else {
    b.remoteTarget = "sip:" + call.dialled + "@" + host;
    if (target.transport != config::TransportKind::kUdp) {
      b.remoteTarget.append(";transport=");
      b.remoteTarget.append(config::transportName(target.transport));
    }
  }
  if (!next.requestUri.empty()) b.remoteTarget = next.requestUri;

  const transport::LocalEndpoint* local = endpoints_(call.zoneB, target.transport);
  const std::string localHost = local != nullptr ? local->address.toString() : "invalid";
  const sip::NameAddr* from = req.from();
  std::string caller;
  // A rewritten caller ID takes no display name: the one sent with the spoofed number is not
  // ours to vouch for either.
  if (!from->displayName.empty() && call.callerIdRewrite.empty()) {
    caller.append(from->displayName);
    caller.push_back(' ');
  }
  caller.append("<sip:");
  if (call.callerIdRewrite.empty()) {
    caller.append(from->uri.user);
  } else {
    caller.append(call.callerIdRewrite);
  }
  caller.append("@");
  caller.append(localHost);
  caller.append(">");
  b.localParty = withTag(caller, b.localTag);
  b.remoteParty = "<sip:" + call.dialled + "@" + host + ">";

  const std::string branch = transaction::TransactionLayer::newBranch();
  uint32_t maxForwards = req.maxForwards().value_or(70);
  maxForwards = std::min<uint32_t>(maxForwards == 0 ? 0 : maxForwards - 1, 70);
  auto m = sip::MessageBuilder::request("INVITE", b.remoteTarget);
  m.header(HeaderId::kVia, via(call.zoneB, target.transport, branch));
  m.header(HeaderId::kMaxForwards, std::to_string(maxForwards));
  m.header(HeaderId::kFrom, b.localParty);
  m.header(HeaderId::kTo, b.remoteParty);
  m.header(HeaderId::kCallId, b.callId);
  m.header(HeaderId::kCSeq, std::to_string(b.inviteCseq) + " INVITE");
  m.header(HeaderId::kContact, b.localContact);
  if (!config_->b2bua.userAgent.empty()) m.header(HeaderId::kUserAgent, config_->b2bua.userAgent);
  copyAllowedHeaders(req, m);
  if (call.zoneA == Zone::kPublic) copyPhoneCredentials(call, req, m);
  if (!req.body().empty()) m.body(req.value(HeaderId::kContentType), req.body());

  dialogs_[dialogKey(call.zoneB, b.callId)] = {call.id, Side::kB};
  ClientTransaction& ct =
      layer_->request(m.build(), branch, Method::kInvite, target, &inviteOwner_, call.id);
  call.bInvite = &ct;
  if (cdrs_ != nullptr) {
    cdrs_->recordLeg(call.uuid, call.provider, b.callId, b.localTag, {},
                     std::string(config::transportName(target.transport)));
  }
  TG_LOG(kB2bua, info, "call={} B leg to {} ({} over {}{}) Call-ID {}", call.uuid,
         outbound ? call.provider : "pbx", target.address.toString(),
         config::transportName(target.transport),
         target.transport == config::TransportKind::kTls ? ", encrypted" : ", UNENCRYPTED",
         b.callId);
  return true;
}

// --- responses --------------------------------------------------------------------------------

void B2bua::InviteOwner::onResponse(ClientTransaction& ct, const sip::Message& response) {
  if (Call* call = b_.findCall(ct.ownerId)) {
    b_.onInitialInviteResponse(*call, ct, response);
  } else if (response.statusCode() >= 200 && response.statusCode() < 300) {
    b_.ackAndByeStray(response, ct.target());  // answered after the call ended
  }
}

void B2bua::RelayOwner::onResponse(ClientTransaction& ct, const sip::Message& response) {
  Call* call = b_.findCall(ct.ownerId);
  if (call == nullptr) {
    if (ct.method() == Method::kInvite && response.statusCode() >= 200 &&
        response.statusCode() < 300) {
      b_.ackAndByeStray(response, ct.target());
    }
    return;
  }
  auto it = call->relays.find(ct.ownerTag);
  if (it == call->relays.end()) return;
  if (ClientTransaction* retry = b_.answerChallenge(*call, ct, response)) {
    it->second.client = retry;
    it->second.clientCseq =
        call->leg(call->zoneA == Zone::kTrunk ? Side::kA : Side::kB).localCseq;
    return;
  }
  b_.relayResponse(*call, it->second, response);
}

void B2bua::LocalOwner::onResponse(ClientTransaction& ct, const sip::Message& response) {
  if (Call* call = b_.findCall(ct.ownerId)) {
    b_.answerChallenge(*call, ct, response);  // a BYE or PRACK of ours, challenged
  } else {
    b_.answerOrphanChallenge(ct, response);  // a BYE that outlived its call
  }
}

// Every transaction of the B2BUA has an owner: nothing reaches these.
void B2bua::onResponse(ClientTransaction& /*ct*/, const sip::Message& /*response*/) {}
void B2bua::onClientFailure(ClientTransaction& /*ct*/, bool /*transportError*/) {}
void B2bua::onTerminated(transaction::Transaction& /*t*/) {}
void B2bua::onCancel(ServerTransaction& invite) {
  layer_->respond(invite, 487, sip::responseTo(invite.request(), 487, {}, invite.localTag()).build());
}

void B2bua::learnBDialog(Call& call, const sip::Message& response) {
  const std::string_view tag = response.to()->tag();
  if (tag.empty()) return;
  Leg& b = call.b;
  if (b.remoteTag.empty()) {
    b.remoteTag = std::string(tag);
    b.remoteParty = std::string(response.value(HeaderId::kTo));
  }
  if (tag != b.remoteTag) return;  // another fork: A keeps the first early dialog
  if (std::string_view target = contactUri(response); !target.empty()) {
    b.remoteTarget = std::string(target);
  }
  // As the UAC, the route set is the Record-Route list reversed (§12.1.2).
  if (response.has(HeaderId::kRecordRoute)) {
    b.routeSet = listElements(response, HeaderId::kRecordRoute);
    std::reverse(b.routeSet.begin(), b.routeSet.end());
  }
}

void B2bua::onInitialInviteResponse(Call& call, ClientTransaction& ct,
                                    const sip::Message& response) {
  const int code = response.statusCode();
  if (response.callId() != call.b.callId) {
    // A late answer from an attempt we abandoned in failover.
    if (code >= 200 && code < 300) ackAndByeStray(response, ct.target());
    return;
  }
  health_->markAlive(call.healthId);
  if (code < 200 && call.cancelled) {
    cancelB(call);  // §9.1: the CANCEL waited for a provisional, and 100 Trying is one
    return;
  }
  if (code == 100) return;

  if (code < 200) {
    bool reliable = false;
    response.forEachElement(HeaderId::kRequire, [&](std::string_view t) {
      if (sip::equalsIgnoreCase(t, "100rel")) reliable = true;
    });
    uint32_t rseq = 0;
    if (reliable && response.has(HeaderId::kRSeq)) {
      const std::string_view v = sip::trim(response.value(HeaderId::kRSeq));
      std::from_chars(v.data(), v.data() + v.size(), rseq);
      // RFC 3262 §4: a retransmission (or an out-of-order one) is neither PRACKed nor processed.
      if (call.b.remoteRSeq != 0 && rseq <= call.b.remoteRSeq &&
          response.to()->tag() == call.b.remoteTag) {
        return;
      }
    }
    learnBDialog(call, response);
    if (call.state == CallState::kRouting && !response.to()->tag().empty()) {
      call.state = CallState::kEarly;
    }
    if (rseq != 0) {
      call.b.remoteRSeq = rseq;
      sendPrack(call, response);
    }
    respondA(call, code, response.reasonPhrase(), &response);
    return;
  }

  if (code < 300) {
    const bool sameDialog = call.b.remoteTag.empty() || response.to()->tag() == call.b.remoteTag;
    if (call.aAnswered && sameDialog) {
      if (call.bAcked) resendAckToB(call);  // B retransmitted its 2xx
      return;
    }
    if (call.cancelled || call.state == CallState::kEnded || call.aAnswered) {
      ackAndByeStray(response, ct.target());  // too late, or a second fork's 2xx
      if (call.cancelled && !call.aAnswered) endAbandoned(call);
      return;
    }
    if (!sameDialog) {
      // The first 2xx may come from a fork other than the one that rang (§13.2.2.4): its
      // dialog becomes the call's; the other fork's early dialog is left to time out.
      call.b.remoteTag.clear();
      call.b.routeSet.clear();
      call.b.remoteRSeq = 0;
    }
    learnBDialog(call, response);
    notePhoneAnswer(call, response);
    call.state = CallState::kConfirmed;
    call.aAnswered = true;
    std::vector<Call::Candidate>().swap(call.candidates);  // no failover once answered
    call.answered = timers_.clock().wallNow();
    call.answeredMono = timers_.clock().now();
    timers_.cancel(call.noAnswerTimer);
    call.noAnswerTimer = base::kNoTimer;
    ++stats_.callsAnswered;
    if (policy_ != nullptr && call.policyHandle != 0) {
      policy_->answered(call.policyHandle, call.answeredMono);
    }
    // The tighter of the gateway-wide limit and the policy's (0 = none for either).
    std::chrono::seconds limit = config_->b2bua.maxCallDuration;
    std::string_view why = "maximum call duration reached";
    if (call.policyMaxDuration.count() > 0 &&
        (limit.count() <= 0 || call.policyMaxDuration < limit)) {
      limit = call.policyMaxDuration;
      why = "policy duration limit reached";
    }
    if (limit.count() > 0) {
      const uint64_t id = call.id;
      call.durationTimer = timers_.schedule(limit, [this, id, why] {
        if (Call* c = findCall(id)) {
          c->durationTimer = base::kNoTimer;
          endCall(id, why);
        }
      });
    }
    respondA(call, code, response.reasonPhrase(), &response);
    if (cdrs_ != nullptr) {
      cdrs_->recordLeg(call.uuid, call.provider, call.b.callId, call.b.localTag,
                       call.b.remoteTag);
      cdrs_->recordAnswer(call.uuid, call.answered);
    }
    TG_LOG(kB2bua, info, "call={} answered", call.uuid);
    return;
  }

  // 3xx-6xx: the client transaction has ACKed it.
  call.bInvite = nullptr;
  if (call.cancelled) {
    endAbandoned(call);
    return;
  }
  if ((code == 401 || code == 407) && call.zoneB == Zone::kTrunk) {
    if (ClientTransaction* retry = answerChallenge(call, ct, response)) {
      call.bInvite = retry;
      call.b.inviteCseq = call.b.localCseq;
      return;
    }
    // Refused credentials: the next provider, else 403 to A. A provider trunkguard holds no
    // credentials for is answered 403 at once.
    const config::Provider* provider = providerNamed(*config_, call.provider);
    if (provider != nullptr && provider->auth.enabled && !call.candidates.empty()) {
      ++stats_.failovers;
      TG_LOG(kB2bua, warn, "call={} {} answered {}: trying the next peer", call.uuid,
             call.provider, code);
      if (sendInitialInvite(call)) return;
    }
  }
  if ((code == 503 || code == 408) && !call.candidates.empty()) {
    ++stats_.failovers;
    TG_LOG(kB2bua, warn, "call={} {} answered {}: trying the next peer", call.uuid,
           call.provider, code);
    if (sendInitialInvite(call)) return;
  }
  relayFinalToA(call, response);
}

void B2bua::relayFinalToA(Call& call, const sip::Message& response) {
  int code = response.statusCode();
  if (call.aInvite == nullptr) {
    endNow(call, dispositionFor(code, call.cancelled), code, "final response after A ended");
    return;
  }
  if (call.zoneA == Zone::kPublic) {
    relayFinalToPhone(call, response);
    return;
  }
  std::string reason(call.zoneA == Zone::kTrunk ? std::string_view()
                                                : response.reasonPhrase());
  if (code >= 300 && code < 400) {
    // Redirects would let the far side steer our calls anywhere (toll fraud); never relay.
    code = 480;
    reason = "Temporarily Unavailable";
  } else if (code == 401 || code == 407) {
    // The provider's credentials live in trunkguard, not in the PBX (TLS/registration issue).
    code = 403;
    reason = "Provider Requires Authentication";
  }
  auto b = sip::responseTo(call.aInvite->request(), code, reason, call.a.localTag);
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kServer, config_->b2bua.userAgent);
  if (response.has(HeaderId::kRetryAfter) && code == 503) {
    b.header(HeaderId::kRetryAfter, response.value(HeaderId::kRetryAfter));
  }
  ServerTransaction& st = *call.aInvite;
  call.aInvite = nullptr;
  layer_->respond(st, code, b.build());
  endNow(call, dispositionFor(code, false), code, "rejected by " + std::string(
      call.direction == Direction::kOutbound ? "provider" : "pbx"));
}

ClientTransaction* B2bua::resendWithCredentials(const config::Provider& provider,
                                                const ClientTransaction& ct,
                                                const sip::Message& response,
                                                std::string_view uuid, uint32_t& cseq) {
  std::string why;
  auto retry = trunk::authorizeRetry(ct.requestBytes(), response, provider.auth, &why);
  if (!retry) {
    TG_LOG(kB2bua, warn, "call={} {} answered {} to {}: {}", uuid, provider.name,
           response.statusCode(), sip::methodName(ct.method()), why);
    return nullptr;
  }
  cseq = retry->cseq;
  TG_LOG(kB2bua, info, "call={} {} answered {} to {}: sending it again with credentials", uuid,
         provider.name, response.statusCode(), sip::methodName(ct.method()));
  return &layer_->request(std::move(retry->bytes), retry->branch, ct.method(), ct.target(),
                          ct.owner, ct.ownerId, ct.ownerTag);
}

ClientTransaction* B2bua::answerChallenge(Call& call, const ClientTransaction& ct,
                                          const sip::Message& response) {
  const int code = response.statusCode();
  if ((code != 401 && code != 407) || ct.target().zone != Zone::kTrunk) return nullptr;
  const config::Provider* provider = providerNamed(*config_, call.provider);
  if (provider == nullptr || !provider->auth.enabled) return nullptr;
  uint32_t cseq = 0;
  ClientTransaction* retry = resendWithCredentials(*provider, ct, response, call.uuid, cseq);
  if (retry != nullptr) {
    Leg& leg = call.leg(call.zoneA == Zone::kTrunk ? Side::kA : Side::kB);
    leg.localCseq = std::max(leg.localCseq, cseq);
  }
  return retry;
}

void B2bua::answerOrphanChallenge(const ClientTransaction& ct, const sip::Message& response) {
  const int code = response.statusCode();
  if ((code != 401 && code != 407) || ct.target().zone != Zone::kTrunk) return;
  const size_t n = std::min(providerAddressLists_.size(), config_->trunk.providers.size());
  for (size_t i = 0; i < n; ++i) {
    const config::Provider& p = config_->trunk.providers[i];
    for (const transport::SendTarget& t : providerAddressLists_[i]) {
      if (t.address == ct.target().address && p.auth.enabled) {
        uint32_t cseq = 0;
        resendWithCredentials(p, ct, response, "-", cseq);
        return;
      }
    }
  }
}

void B2bua::onInitialInviteFailed(Call& call, int code, std::string_view reason) {
  respondA(call, code, reason, nullptr);
  endNow(call, "failed", code, reason);
}

void B2bua::sendPrack(Call& call, const sip::Message& reliableProvisional) {
  Leg& b = call.b;
  if (b.remoteTag.empty()) return;
  const std::string rack = std::string(sip::trim(reliableProvisional.value(HeaderId::kRSeq))) +
                           " " + std::to_string(b.inviteCseq) + " INVITE";
  const std::string branch = transaction::TransactionLayer::newBranch();
  const std::string bytes =
      buildInDialog(b, call.zoneB, "PRACK", ++b.localCseq, branch, nullptr, {{"RAck", rack}});
  layer_->request(bytes, branch, Method::kPrack, b.peer, &localOwner_, call.id);
}

void B2bua::InviteOwner::onClientFailure(ClientTransaction& ct, bool transportError) {
  Call* call = b_.findCall(ct.ownerId);
  if (call == nullptr || &ct != call->bInvite) return;
  call->bInvite = nullptr;
  b_.health_->markFailed(call->healthId);
  TG_LOG(kB2bua, warn, "call={} no answer from {} ({})", call->uuid, call->provider,
         transportError ? "transport error" : "timeout");
  if (call->cancelled) {
    b_.endAbandoned(*call);
    return;
  }
  if (!call->candidates.empty()) {
    ++b_.stats_.failovers;
    if (b_.sendInitialInvite(*call)) return;
  }
  b_.onInitialInviteFailed(*call, transportError ? 503 : 408,
                           transportError ? "Service Unavailable" : "Request Timeout");
}

void B2bua::RelayOwner::onClientFailure(ClientTransaction& ct, bool /*transportError*/) {
  Call* call = b_.findCall(ct.ownerId);
  if (call == nullptr) return;
  auto it = call->relays.find(ct.ownerTag);
  if (it == call->relays.end()) return;
  Relay& relay = it->second;
  relay.client = nullptr;
  if (relay.method == Method::kInvite) call->reinvitePending = false;
  if (relay.server != nullptr && relay.server->lastStatus() < 200) {
    ServerTransaction& st = *relay.server;
    b_.layer_->respond(st, 408, b_.responseFor(st, call->leg(relay.from), 408, {}, nullptr));
  }
  // §12.2.1.2: a peer that no longer answers in-dialog requests is gone; end the call so
  // that neither the dialog nor the CDR is left open.
  if (relay.method != Method::kBye) {
    const Side gone = other(relay.from);
    TG_LOG(kB2bua, warn, "call={} the {} side stopped answering; ending the call", call->uuid,
           gone == Side::kA ? "A" : "B");
    b_.sendBye(*call, relay.from);
    b_.endNow(*call, "answered", 408, gone == Side::kA ? "a-leg-timeout" : "b-leg-timeout");
  }
}

void B2bua::onStrayResponse(const sip::Message& response, const transport::Packet& packet) {
  if (response.cseq()->method == Method::kInvite && response.statusCode() >= 200 &&
      response.statusCode() < 300) {
    // A 2xx retransmitted after its transaction ended: re-ACK it if it is one of our calls'
    // B dialogs, else ACK and BYE it so no orphan dialog stays up.
    auto it = dialogs_.find(dialogKey(packet.zone, response.callId()));
    if (it != dialogs_.end()) {
      if (Call* call = findCall(it->second.callId); call != nullptr && call->bAcked) {
        resendAckToB(*call);
        return;
      }
    }
    transport::SendTarget t;
    t.zone = packet.zone;
    t.transport = packet.transport;
    t.address = packet.source;
    t.connection = packet.connection;
    ackAndByeStray(response, t);
  }
}

void B2bua::ackAndByeStray(const sip::Message& response, const transport::SendTarget& target) {
  Leg leg;
  leg.callId = std::string(response.callId());
  leg.localParty = std::string(response.value(HeaderId::kFrom));
  leg.remoteParty = std::string(response.value(HeaderId::kTo));
  leg.remoteTarget = std::string(contactUri(response));
  if (leg.remoteTarget.empty()) return;
  leg.routeSet = listElements(response, HeaderId::kRecordRoute);
  std::reverse(leg.routeSet.begin(), leg.routeSet.end());
  leg.peer = target;
  const uint32_t cseq = response.cseq()->number;
  sender_->send(target, buildInDialog(leg, target.zone, "ACK", cseq,
                                      transaction::TransactionLayer::newBranch(), nullptr));
  // Each 2xx retransmission is ACKed (§13.2.2.4), but the dialog is ended once.
  std::string key = leg.callId + ' ' + std::string(response.to()->tag());
  if (byedStrays_.contains(key)) return;
  const base::TimerId expiry =
      timers_.schedule(64 * layer_->settings().t1, [this, key] { byedStrays_.erase(key); });
  byedStrays_.emplace(std::move(key), expiry);
  const std::string branch = transaction::TransactionLayer::newBranch();
  layer_->request(buildInDialog(leg, target.zone, "BYE", cseq + 1, branch, nullptr), branch,
                  Method::kBye, target, &localOwner_);
}

// --- CANCEL, ACK --------------------------------------------------------------------------

void B2bua::InviteOwner::onCancel(ServerTransaction& invite) {
  Call* call = b_.findCall(invite.ownerId);
  if (call == nullptr) {
    b_.layer_->respond(invite, 487, sip::responseTo(invite.request(), 487, {},
                                                    invite.localTag()).build());
    return;
  }
  // The CANCEL's 200 used the To tag the INVITE's final must carry.
  if (!invite.localTag().empty()) {
    call->a.localTag = invite.localTag();
    call->a.localParty = withTag(invite.request().value(HeaderId::kTo), call->a.localTag);
  }
  call->cancelled = true;
  TG_LOG(kB2bua, info, "call={} cancelled by caller", call->uuid);
  b_.respondA(*call, 487, "Request Terminated", nullptr);
  if (call->bInvite == nullptr) {
    b_.endNow(*call, "cancelled", 487, "cancelled by caller");
  } else if (call->bInvite->receivedProvisional()) {
    b_.cancelB(*call);
  }  // else: CANCEL goes out with B's first provisional (§9.1)
}

void B2bua::RelayOwner::onCancel(ServerTransaction& invite) {
  // A relayed re-INVITE: answer it as terminated and cancel its relay on the other leg.
  b_.layer_->respond(invite, 487,
                     sip::responseTo(invite.request(), 487, {}, invite.localTag()).build());
  Call* call = b_.findCall(invite.ownerId);
  if (call == nullptr) return;
  auto it = call->relays.find(invite.ownerTag);
  if (it != call->relays.end() && it->second.client != nullptr &&
      it->second.client->receivedProvisional()) {
    b_.sendCancel(*it->second.client, call->leg(other(it->second.from)).peer, call->id);
  }
}

void B2bua::cancelB(Call& call) {
  if (call.bInvite == nullptr || call.bCancelSent) return;
  call.bCancelSent = true;
  sendCancel(*call.bInvite, call.b.peer, call.id);
}

void B2bua::sendCancel(const ClientTransaction& inviteTxn, const transport::SendTarget& peer,
                       uint64_t callId) {
  sip::Message invite;
  if (!invite.parse(inviteTxn.requestBytes()).ok()) return;
  std::string_view topVia;
  invite.forEachElement(HeaderId::kVia, [&](std::string_view e) {
    if (topVia.empty()) topVia = e;
  });
  auto b = sip::MessageBuilder::request("CANCEL", invite.requestUriText());
  b.header(HeaderId::kVia, topVia);
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kFrom, invite.value(HeaderId::kFrom));
  b.header(HeaderId::kTo, invite.value(HeaderId::kTo));
  b.header(HeaderId::kCallId, invite.callId());
  b.header(HeaderId::kCSeq, std::to_string(invite.cseq()->number) + " CANCEL");
  invite.forEach(HeaderId::kRoute, [&](const sip::HeaderField& f) { b.header(HeaderId::kRoute, f.value); });
  layer_->request(b.build(), invite.topVia()->branch(), Method::kCancel, peer, &localOwner_,
                  callId);
}

void B2bua::onStrayAck(const sip::Message& /*ack*/, const transport::Packet& /*packet*/) {}

void B2bua::InviteOwner::onAck(ServerTransaction& invite, const sip::Message& ack,
                               const transport::Packet& /*packet*/) {
  if (Call* call = b_.findCall(invite.ownerId)) b_.sendAckToB(*call, &ack);
}

void B2bua::RelayOwner::onAck(ServerTransaction& invite, const sip::Message& ack,
                              const transport::Packet& /*packet*/) {
  Call* call = b_.findCall(invite.ownerId);
  if (call == nullptr) return;
  auto it = call->relays.find(invite.ownerTag);
  if (it == call->relays.end() || it->second.method != Method::kInvite) return;
  Relay& relay = it->second;
  const Side to = other(relay.from);
  Leg& leg = call->leg(to);
  relay.clientAck = b_.buildInDialog(leg, call->zone(to), "ACK", relay.clientCseq,
                                     transaction::TransactionLayer::newBranch(), &ack);
  b_.sender_->send(leg.peer, relay.clientAck);
}

void B2bua::sendAckToB(Call& call, const sip::Message* aAck) {
  if (call.bAcked || call.state != CallState::kConfirmed) return;
  call.bAck = buildInDialog(call.b, call.zoneB, "ACK", call.b.inviteCseq,
                            transaction::TransactionLayer::newBranch(), aAck);
  call.bAcked = true;
  sender_->send(call.b.peer, call.bAck);
  // B stops retransmitting its 2xx after 64*T1; the ACK kept to answer them can go then (a
  // later straggler gets a rebuilt ACK).
  const uint64_t id = call.id;
  call.ackReleaseTimer = timers_.schedule(64 * layer_->settings().t1, [this, id] {
    if (Call* c = findCall(id)) {
      c->ackReleaseTimer = base::kNoTimer;
      std::string().swap(c->bAck);
    }
  });
}

void B2bua::resendAckToB(Call& call) {
  if (call.bAck.empty()) {
    call.bAck = buildInDialog(call.b, call.zoneB, "ACK", call.b.inviteCseq,
                              transaction::TransactionLayer::newBranch(), nullptr);
  }
  sender_->send(call.b.peer, call.bAck);
}

void B2bua::InviteOwner::onAckTimeout(ServerTransaction& invite) {
  if (Call* call = b_.findCall(invite.ownerId)) {
    TG_LOG(kB2bua, warn, "call={} the caller never acknowledged the answer", call->uuid);
    b_.endCall(call->id, "no ACK from caller");
  }
}

// --- in-dialog requests ---------------------------------------------------------------------

void B2bua::inDialogRequest(ServerTransaction& st) {
  const sip::Message& req = st.request();
  auto it = dialogs_.find(dialogKey(st.target().zone, req.callId()));
  Call* call = it == dialogs_.end() ? nullptr : findCall(it->second.callId);
  if (call == nullptr) {
    ++stats_.unknownDialog;
    answerLocally(st, 481);
    return;
  }
  const Side side = it->second.side;
  Leg& leg = call->leg(side);
  if (req.to()->tag() != leg.localTag) {
    ++stats_.unknownDialog;
    answerLocally(st, 481);
    return;
  }
  const uint32_t cseq = req.cseq()->number;
  if (cseq <= leg.remoteCseq && req.method() != Method::kPrack) {
    layer_->respond(st, 500, responseFor(st, leg, 500, "CSeq Out of Order", nullptr));
    return;
  }
  leg.remoteCseq = std::max(leg.remoteCseq, cseq);

  switch (req.method()) {
    case Method::kBye: {
      layer_->respond(st, 200, responseFor(st, leg, 200, {}, nullptr));
      if (call->state != CallState::kConfirmed) {
        // BYE before the answer reached us: treat it as a cancellation.
        call->cancelled = true;
        if (call->bInvite != nullptr && call->bInvite->receivedProvisional()) cancelB(*call);
        respondA(*call, 487, {}, nullptr);
        if (call->bInvite == nullptr) endNow(*call, "cancelled", 487, "cancelled by caller");
        return;
      }
      sendBye(*call, other(side));
      endNow(*call, "answered", 200, side == Side::kA ? "bye-from-a" : "bye-from-b");
      return;
    }
    case Method::kRefer: {
      const bool allowed = call->zone(side) == Zone::kPbx ? config_->pbx.allowRefer
                           : call->zone(side) == Zone::kTrunk ? config_->trunk.allowRefer
                                                              : false;
      if (!allowed) {
        ++stats_.referRefused;
        TG_LOG(kB2bua, info, "call={} REFER refused (transfer not allowed in the {} zone)",
               call->uuid, transport::zoneName(call->zone(side)));
        layer_->respond(st, 403, responseFor(st, leg, 403, "REFER Not Allowed", nullptr));
        return;
      }
      break;
    }
    case Method::kInvite:
      if (call->reinvitePending || call->state != CallState::kConfirmed) {
        layer_->respond(st, 491, responseFor(st, leg, 491, {}, nullptr));  // glare, §14.1
        return;
      }
      call->reinvitePending = true;
      break;
    case Method::kPrack:
      // We never send reliable provisionals to A, so there is nothing to acknowledge.
      layer_->respond(st, 481, responseFor(st, leg, 481, {}, nullptr));
      return;
    default:
      break;
  }
  if (req.method() == Method::kInvite || req.method() == Method::kUpdate) {
    // §12.2.2: a target refresh request replaces the remote target with its Contact.
    if (std::string_view t = contactUri(req); !t.empty()) leg.remoteTarget = std::string(t);
  }
  relayRequest(*call, side, st);
}

void B2bua::relayRequest(Call& call, Side from, ServerTransaction& st) {
  const Side toSide = other(from);
  Leg& to = call.leg(toSide);
  if (to.remoteTag.empty()) {
    layer_->respond(st, 481, responseFor(st, call.leg(from), 481, {}, nullptr));
    return;
  }
  const sip::Message& req = st.request();
  Relay relay;
  relay.id = call.nextRelayId++;
  relay.from = from;
  relay.method = req.method();
  relay.server = &st;
  relay.clientCseq = ++to.localCseq;
  const std::string branch = transaction::TransactionLayer::newBranch();
  // Headers without which the relayed request is malformed: REFER needs its Refer-To (RFC 3515
  // §2.4.1; the zone chose to allow transfers), NOTIFY its Event and Subscription-State
  // (RFC 6665 §8.2.1).
  ExtraHeaders extra;
  auto keep = [&](HeaderId id) {
    if (req.has(id)) extra.emplace_back(sip::headerName(id), std::string(req.value(id)));
  };
  if (req.method() == Method::kRefer) keep(HeaderId::kReferTo);
  if (req.method() == Method::kNotify) {
    keep(HeaderId::kEvent);
    keep(HeaderId::kSubscriptionState);
  }
  std::string bytes = buildInDialog(to, call.zone(toSide), req.methodText(), relay.clientCseq,
                                    branch, &req, extra);
  st.owner = &relayOwner_;
  st.ownerId = call.id;
  st.ownerTag = relay.id;
  const uint64_t id = relay.id;
  Relay& stored = call.relays.emplace(id, std::move(relay)).first->second;
  stored.client =
      &layer_->request(std::move(bytes), branch, req.method(), to.peer, &relayOwner_, call.id, id);
}

void B2bua::relayResponse(Call& call, Relay& relay, const sip::Message& response) {
  const int code = response.statusCode();
  const bool invite = relay.method == Method::kInvite;
  if (invite && code >= 200 && code < 300) {
    // Target refresh (§12.2.1.2) on the leg that answered.
    Leg& answering = call.leg(other(relay.from));
    if (std::string_view t = contactUri(response); !t.empty()) answering.remoteTarget = t;
    if (!relay.clientAck.empty()) {
      sender_->send(answering.peer, relay.clientAck);  // a retransmitted 2xx: ACK again
      return;
    }
    if (relay.server == nullptr || relay.server->lastStatus() >= 300) {
      // The requester was answered already (it cancelled): no ACK will come from it, but the
      // 2xx must be ACKed all the same (§13.2.2.4).
      const Side to = other(relay.from);
      relay.clientAck = buildInDialog(answering, call.zone(to), "ACK", relay.clientCseq,
                                      transaction::TransactionLayer::newBranch(), nullptr);
      sender_->send(answering.peer, relay.clientAck);
      call.reinvitePending = false;
      return;
    }
  }
  if (code == 100 || relay.server == nullptr) return;
  if (code >= 200 && invite) call.reinvitePending = false;
  if (relay.server->lastStatus() >= 200) return;  // answered already (a retransmitted final)
  ServerTransaction& st = *relay.server;
  layer_->respond(st, code, responseFor(st, call.leg(relay.from), code, response.reasonPhrase(),
                                        &response));
  if ((code == 481 || code == 408) && relay.method != Method::kBye) {
    // §12.2.1.2: the far dialog is gone; end ours on both sides.
    sendBye(call, relay.from);
    endNow(call, "answered", code,
           relay.from == Side::kA ? "b-leg-dialog-gone" : "a-leg-dialog-gone");
  }
}

void B2bua::sendBye(Call& call, Side side) {
  Leg& leg = call.leg(side);
  if (leg.remoteTag.empty()) return;
  // §13.2.2.4: B's 2xx is ACKed before its dialog ends, even when A's ACK never came (A timed
  // out, or its BYE overtook its ACK).
  if (side == Side::kB && !call.bAcked) sendAckToB(call, nullptr);
  const std::string branch = transaction::TransactionLayer::newBranch();
  layer_->request(buildInDialog(leg, call.zone(side), "BYE", ++leg.localCseq, branch, nullptr),
                  branch, Method::kBye, leg.peer, &localOwner_, call.id);
}

// --- remote phones (public zone) -------------------------------------------------------------

bool B2bua::admitPhone(ServerTransaction& st, PhoneAdmission& out) {
  if (auth_ == nullptr) {
    answerLocally(st, 403, "Remote Phones Not Enabled");
    return false;
  }
  const sip::Message& req = st.request();
  const std::vector<std::string_view> credentials =
      headerValues(req, HeaderId::kProxyAuthorization);
  if (auth_->mode() == config::PublicAuthMode::kPbx) {
    // The PBX challenges (407, or 401 as some do); trunkguard keeps the books on its answers.
    out.account = std::string(req.from()->uri.user);
    const std::vector<std::string_view> any =
        credentials.empty() ? headerValues(req, HeaderId::kAuthorization) : credentials;
    if (!any.empty()) {
      out.authWatchKey =
          "I " + std::string(req.callId()) + " " + std::to_string(req.cseq()->number);
      out.stripCredentials =
          auth_->watcher().onRequest(out.authWatchKey, any.front(),
                                     st.target().address, Zone::kPublic) ==
          auth::FailureWatcher::Verdict::kStripCredentials;
    }
    return true;
  }
  auth::AuthRequest ar;
  ar.method = "INVITE";
  ar.credentials = credentials;
  ar.source = st.target().address;
  ar.zone = Zone::kPublic;
  ar.callerId = req.from()->uri.user;
  const auth::AuthDecision d = auth_->gateway().authenticate(ar);
  if (d.action == auth::AuthDecision::Action::kAccept) {
    out.account = d.account->username;
    return true;
  }
  auto b = sip::responseTo(req, d.status, d.reasonPhrase, base::randomHex(8));
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kServer, config_->b2bua.userAgent);
  if (d.action == auth::AuthDecision::Action::kChallenge) {
    ++stats_.phoneChallenges;
    for (const std::string& c : d.challenges) b.header(d.challengeHeader, c);
  }
  layer_->respond(st, d.status, b.build());
  return false;
}

std::optional<Binding> B2bua::phoneFor(const sip::Message& invite) const {
  const std::string_view user = invite.requestUri()->user;
  if (user.empty()) return std::nullopt;
  if (auto b = bindings_->byKey(user)) return b;
  return bindings_->latestFor(user);
}

void B2bua::copyPhoneCredentials(const Call& call, const sip::Message& from,
                                 sip::MessageBuilder& out) const {
  if (auth_ == nullptr || call.stripCredentials) return;
  const bool pbxMode = auth_->mode() == config::PublicAuthMode::kPbx;
  for (const HeaderId id : {HeaderId::kProxyAuthorization, HeaderId::kAuthorization}) {
    from.forEach(id, [&](const sip::HeaderField& f) {
      if (!pbxMode) {
        // Ours were checked here and mean nothing to the PBX; another realm's answer the PBX.
        auto c = sip::parseCredentials(f.value);
        if (!c || c->realm.equals(auth_->digest().realm())) return;
      }
      out.header(id, f.value);
    });
  }
}

void B2bua::notePhoneAnswer(Call& call, const sip::Message& response) {
  if (call.authWatchKey.empty() || auth_ == nullptr) return;
  std::string_view challenge = response.value(HeaderId::kProxyAuthenticate);
  if (challenge.empty()) challenge = response.value(HeaderId::kWwwAuthenticate);
  auth_->watcher().onFinalResponse(call.authWatchKey, response.statusCode(), challenge);
  call.authWatchKey.clear();
}

void B2bua::relayFinalToPhone(Call& call, const sip::Message& response) {
  const int code = response.statusCode();
  notePhoneAnswer(call, response);
  const bool authenticated =
      auth_ != nullptr && (auth_->mode() == config::PublicAuthMode::kGateway ||
                           bindings_->registeredFrom(call.account, call.a.peer.address));
  guard::EdgeAnswer edge = guard::normaliseForEdge(Method::kInvite, code, authenticated);
  std::vector<std::string_view> values;
  std::string decoy;
  std::vector<std::string> ours;  // the gateway's own challenges, next to the PBX's
  if (edge.action == guard::EdgeAnswer::Action::kChallenge) {
    values = headerValues(response, HeaderId::kProxyAuthenticate);
    for (std::string_view v : headerValues(response, HeaderId::kWwwAuthenticate)) {
      values.push_back(v);
    }
    if (auth_ != nullptr && auth_->mode() == config::PublicAuthMode::kPbx) {
      // Every challenge the phone sees looks like the PBX's own (401 or 407, its form).
      if ((code == 401 || code == 407) && !values.empty()) {
        pbxInviteChallengeCode_ = code;
        pbxInviteChallenge_ = std::string(values.front());
      }
      edge.code = pbxInviteChallengeCode_;
      edge.reason = sip::defaultReasonPhrase(edge.code);
      rememberChallengedInvite(call);
    } else if (auth_ != nullptr && (code == 401 || code == 407)) {
      // Gateway mode, and the PBX wants credentials of its own too (it should trust the
      // gateway). Passing on only its challenge would make the phone drop ours and loop; with
      // both, a phone answers each realm (RFC 3261 §22.3), we check ours and relay the PBX's.
      ours = auth_->digest().challenges(call.a.peer.address);
      rememberChallengedInvite(call);
      warnPbxChallengesInGatewayMode("INVITE", call.account, timers_.clock().now(),
                                     lastPbxChallengeWarning_);
    }
    if (values.empty()) {
      decoy = pbxInviteChallenge_.empty() ? registrations_->decoyChallenge()
                                          : freshChallenge(pbxInviteChallenge_);
    }
  }
  auto b = sip::responseTo(call.aInvite->request(), edge.code, edge.reason, call.a.localTag);
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kServer, config_->b2bua.userAgent);
  if (edge.action == guard::EdgeAnswer::Action::kChallenge) {
    const std::string_view header = edge.code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
    if (!decoy.empty()) b.header(header, decoy);
    for (std::string_view v : values) b.header(header, v);
    for (const std::string& c : ours) b.header(HeaderId::kProxyAuthenticate, c);
  }
  if (edge.code == 503 && response.has(HeaderId::kRetryAfter)) {
    b.header(HeaderId::kRetryAfter, response.value(HeaderId::kRetryAfter));
  }
  ServerTransaction& st = *call.aInvite;
  call.aInvite = nullptr;
  layer_->respond(st, edge.code, b.build());
  TG_LOG(kB2bua, info, "call={} the PBX answered {}; the phone gets {}", call.uuid, code,
         edge.code);
  endNow(call, dispositionFor(edge.code, false), edge.code, "rejected by pbx");
}

void B2bua::rememberChallengedInvite(const Call& call) {
  if (challenged_.size() >= kMaxChallengedInvites) return;
  const std::string key = call.a.callId + ' ' + call.a.remoteTag;
  if (auto old = challenged_.find(key); old != challenged_.end()) {
    timers_.cancel(old->second.expiry);
  }
  ChallengedInvite& c = challenged_[key];
  c = {call.b.callId, call.b.localTag, call.b.inviteCseq, base::kNoTimer};
  c.expiry =
      timers_.schedule(64 * layer_->settings().t1, [this, key] { challenged_.erase(key); });
}

// --- call policy ----------------------------------------------------------------------------

bool B2bua::admitByPolicy(ServerTransaction& st, Call& call) {
  const sip::Message& req = st.request();
  guard::policy::CallAttempt attempt;
  attempt.zone = st.target().zone;
  attempt.dialled = call.dialled;
  attempt.callerId = std::string(req.from()->uri.user);
  // Accounts arrive with issue 6; until then the PBX's From user names the caller.
  if (attempt.zone == Zone::kPbx) attempt.account = attempt.callerId;
  // A remote phone is counted as the account it authenticated as (issue 6).
  if (attempt.zone == Zone::kPublic) attempt.account = call.account;
  attempt.assertedId = assertedUser(req);
  attempt.anonymous = isAnonymous(req);
  attempt.when = call.started;
  attempt.now = timers_.clock().now();
  const guard::policy::Admission admission = policy_->admit(attempt);

  call.account = admission.account;
  call.e164 = admission.e164;
  call.destinationClass = admission.destinationClass;
  call.policyRule = admission.rule;
  if (!admission.forwardUser.empty()) call.dialled = admission.forwardUser;
  if (admission.rejected()) {
    if (admission.authFailure) countCallCodeFailure(st, attempt.account);
    rejectByPolicy(st, call, admission);
    return false;
  }
  if (admission.shadow) {
    ++stats_.policyShadow;
    TG_LOG(kB2bua, info, "call={} the policy would refuse this call ({} {}, rule {}): "
           "shadow mode lets it through", call.uuid, admission.code, admission.reason,
           admission.rule);
    recordPolicyEvent(st, admission, "shadow");
  }
  if (admission.emergency) {
    ++stats_.emergencyCalls;
    TG_LOG(kB2bua, warn, "call={} emergency call to {} from {} ({})", call.uuid, call.dialled,
           attempt.callerId, st.target().address.toString());
  }
  call.policyHandle = admission.handle;
  call.policyMaxDuration = admission.maxDuration;
  if (admission.callerIdRewrite) call.callerIdRewrite = *admission.callerIdRewrite;
  return true;
}

// A wrong call code from a remote phone is a failed authentication of its account from that
// source: the auth lockout and the perimeter bans apply, as to a wrong password. From the PBX
// (a trusted peer, never banned) the policy's own lock of the user is what applies.
void B2bua::countCallCodeFailure(const ServerTransaction& st, const std::string& account) {
  if (auth_ == nullptr || st.target().zone != Zone::kPublic || account.empty()) return;
  auth_->lockout().recordFailure(account, st.target().address, Zone::kPublic, "wrong call code");
}

void B2bua::rejectByPolicy(ServerTransaction& st, const Call& call,
                           const guard::policy::Admission& admission) {
  ++stats_.policyRejected;
  const int code = admission.code >= 400 && admission.code < 700 ? admission.code : 403;
  TG_LOG(kB2bua, info, "call={} {} call from {} to {} refused by the call policy: {} {} "
         "(rule {})", call.uuid, directionName(call.direction), st.target().address.toString(),
         call.dialled, code, admission.reason, admission.rule);
  const sip::Message& req = st.request();
  auto b = sip::responseTo(req, code, {}, base::randomHex(8));
  if (!config_->b2bua.userAgent.empty()) b.header(HeaderId::kServer, config_->b2bua.userAgent);
  // RFC 3326: the cause is the response code; the text says which rule, for the PBX's logs.
  b.header(HeaderId::kReason, "SIP;cause=" + std::to_string(code) + ";text=\"" +
                                  quotable(admission.reason) + "\"");
  recordPolicyEvent(st, admission, "reply " + std::to_string(code));
  if (cdrs_ != nullptr) {
    db::CdrRecord r;
    r.callUuid = call.uuid;
    r.direction = std::string(directionName(call.direction));
    r.aCallId = std::string(req.callId());
    r.aFromTag = std::string(req.from()->tag());
    r.fromUri = std::string(req.from()->uri.text);
    r.toUri = "sip:" + call.dialled;  // without the (wrong) code
    r.sourceAddress = st.target().address.toString();
    r.aTransport = std::string(config::transportName(st.target().transport));
    r.startTime = r.endTime.emplace(call.started);
    r.disposition = "rejected";
    r.sipCode = code;
    r.endReason = "policy: " + admission.reason;
    r.account = call.account;
    r.dialledE164 = call.e164;
    r.destinationClass = call.destinationClass;
    r.policyRule = call.policyRule;
    cdrs_->recordStart(r);
  }
  layer_->respond(st, code, b.build());
}

void B2bua::recordPolicyEvent(const ServerTransaction& st,
                              const guard::policy::Admission& admission,
                              std::string_view action) {
  if (events_ == nullptr) return;
  const sip::Message& req = st.request();
  guard::SecurityEvent e;
  e.time = timers_.clock().wallNow();
  e.zone = st.target().zone;
  e.source = st.target().address;
  e.rule = "policy." + admission.rule;
  e.reason = admission.reason;
  if (admission.authFailure) e.reason.append(" (wrong call code)");
  e.action = std::string(action);
  // Who called whom, without the dialled digits (they may hold a call code).
  e.sample = "INVITE from " + std::string(req.from()->uri.user).substr(0, 64) + " class " +
             admission.destinationClass;
  events_->record(std::move(e));
}

void B2bua::armCapPoll() {
  if (capPoll_ != base::kNoTimer || policy_ == nullptr) return;
  capPoll_ = timers_.schedule(kCapPollInterval, [this] {
    capPoll_ = base::kNoTimer;
    pollCaps();
  });
}

void B2bua::pollCaps() {
  std::vector<uint64_t> handles = policy_->overCap(timers_.clock().now(), kCapPollInterval);
  std::vector<uint64_t> foreign;
  for (const uint64_t h : handles) {
    if (!policyCalls_.contains(h)) foreign.push_back(h);
  }
  endPolicyCalls(handles, "spend cap reached");
  if (!foreign.empty() && foreignCaps_) foreignCaps_(std::move(foreign));
  // Only while calls are tracked: an idle gateway (and a drained test) has no timer pending.
  if (!policyCalls_.empty()) armCapPoll();
}

size_t B2bua::endPolicyCalls(const std::vector<uint64_t>& handles, std::string_view reason) {
  size_t ended = 0;
  for (const uint64_t h : handles) {
    auto it = policyCalls_.find(h);
    if (it == policyCalls_.end()) continue;
    const uint64_t id = it->second;
    if (endCall(id, reason)) {
      ++ended;
      ++stats_.policyEnded;
    }
  }
  return ended;
}

// --- ending ---------------------------------------------------------------------------------

bool B2bua::endCall(uint64_t callId, std::string_view reason) {
  Call* call = findCall(callId);
  if (call == nullptr) return false;
  TG_LOG(kB2bua, info, "call={} ended by the gateway: {}", call->uuid, reason);
  call->endReason = "ended-by-gateway: " + std::string(reason);
  if (call->state == CallState::kConfirmed) {
    sendBye(*call, Side::kA);
    sendBye(*call, Side::kB);
    endNow(*call, "answered", 200, call->endReason);
    return true;
  }
  call->cancelled = true;
  respondA(*call, 480, "Call Ended By Gateway", nullptr);
  if (call->bInvite != nullptr && call->bInvite->receivedProvisional()) cancelB(*call);
  if (call->bInvite == nullptr) endNow(*call, "failed", 480, call->endReason);
  return true;
}

void B2bua::endNow(Call& call, std::string_view disposition, int code, std::string_view reason) {
  if (call.state == CallState::kEnded) return;
  call.state = CallState::kEnded;
  timers_.cancel(call.noAnswerTimer);
  timers_.cancel(call.durationTimer);
  timers_.cancel(call.ackReleaseTimer);
  call.noAnswerTimer = call.durationTimer = call.ackReleaseTimer = base::kNoTimer;
  if (disposition != "answered") ++stats_.callsFailed;
  const base::SystemTime now = timers_.clock().wallNow();
  int64_t durationMs = 0;
  if (call.aAnswered) {
    durationMs = std::chrono::duration_cast<std::chrono::milliseconds>(timers_.clock().now() -
                                                                       call.answeredMono)
                     .count();
  }
  TG_LOG(kB2bua, info, "call={} ended: {} {} ({}), {} ms", call.uuid, disposition, code, reason,
         durationMs);
  double cost = 0;
  if (policy_ != nullptr && call.policyHandle != 0) {
    cost = policy_->ended(call.policyHandle, timers_.clock().now());
    policyCalls_.erase(call.policyHandle);
    call.policyHandle = 0;
  }
  if (cdrs_ != nullptr) {
    cdrs_->recordEnd(call.uuid, now, std::string(disposition), code, std::string(reason),
                     durationMs, cost);
  }
  eraseCall(call.id);
}

void B2bua::endAbandoned(Call& call) {
  if (call.endReason == "no answer") {
    endNow(call, "no-answer", 480, "no answer");
  } else if (!call.endReason.empty()) {
    endNow(call, "failed", 480, call.endReason);  // endCall() before the answer
  } else {
    endNow(call, "cancelled", 487, "cancelled by caller");
  }
}

void B2bua::eraseCall(uint64_t callId) {
  auto it = calls_.find(callId);
  if (it == calls_.end()) return;
  Call& call = *it->second;
  dialogs_.erase(dialogKey(call.zoneA, call.a.callId));
  if (!call.b.callId.empty()) dialogs_.erase(dialogKey(call.zoneB, call.b.callId));
  // Requests still waiting for a relayed answer get one now: 487, as §15.1.2 recommends.
  for (auto& [rid, relay] : call.relays) {
    if (relay.client != nullptr && relay.method == Method::kInvite &&
        relay.client->receivedProvisional()) {
      sendCancel(*relay.client, call.leg(other(relay.from)).peer, 0);
    }
    if (relay.server != nullptr && relay.server->lastStatus() < 200) {
      ServerTransaction& st = *relay.server;
      layer_->respond(st, 487, responseFor(st, call.leg(relay.from), 487, {}, nullptr));
    }
  }
  if (call.aInvite != nullptr) {
    ServerTransaction& st = *call.aInvite;
    call.aInvite = nullptr;
    layer_->respond(st, 500, responseFor(st, call.a, 500, "Call Ended", nullptr));
  }
  calls_.erase(it);
}

void B2bua::InviteOwner::onTerminated(transaction::Transaction& t) {
  Call* call = b_.findCall(t.ownerId);
  if (call == nullptr) return;
  if (&t == call->aInvite) call->aInvite = nullptr;
  if (&t == call->bInvite) call->bInvite = nullptr;
}

void B2bua::RelayOwner::onTerminated(transaction::Transaction& t) {
  Call* call = b_.findCall(t.ownerId);
  if (call == nullptr) return;
  auto it = call->relays.find(t.ownerTag);
  if (it == call->relays.end()) return;
  Relay& relay = it->second;
  if (&t == relay.server) relay.server = nullptr;
  if (&t == relay.client) relay.client = nullptr;
  if (relay.server == nullptr && relay.client == nullptr) call->relays.erase(it);
}

std::vector<CallSummary> B2bua::activeCalls() const {
  std::vector<CallSummary> out;
  out.reserve(calls_.size());
  for (const auto& [id, c] : calls_) {
    out.push_back({c->id, c->uuid, c->direction, c->state, c->provider, c->dialled});
  }
  return out;
}

}  // namespace tg::b2bua
