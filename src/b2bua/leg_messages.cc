#include "b2bua/leg_messages.h"

#include "base/random.h"
#include "sip/header_values.h"
#include "sip/scan.h"
#include "transaction/transaction_layer.h"

namespace tg::b2bua {
namespace {

using sip::HeaderId;
using sip::Method;
using transport::Zone;

// Headers that describe one hop or one dialog: never copied across, whatever the allowlist
// says, since copying them would leak the other side's topology (B2BUA.md "What never crosses").
bool neverCopied(std::string_view name) {
  const sip::HeaderId id = sip::headerIdFromName(name);
  switch (id) {
    case HeaderId::kVia:
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute:
    case HeaderId::kContact:
    case HeaderId::kCallId:
    case HeaderId::kFrom:
    case HeaderId::kTo:
    case HeaderId::kCSeq:
    case HeaderId::kMaxForwards:
    case HeaderId::kContentLength:
    case HeaderId::kContentType:
    case HeaderId::kUserAgent:
    case HeaderId::kServer:
    case HeaderId::kAuthorization:
    case HeaderId::kProxyAuthorization:
    case HeaderId::kWwwAuthenticate:
    case HeaderId::kProxyAuthenticate:
    case HeaderId::kRSeq:
    case HeaderId::kRAck:
    case HeaderId::kWarning:
    // Identity is the call policy's decision (caller ID checks and rewrites), never what a
    // peer asserted: a hacked PBX or a provider could otherwise pick any caller ID.
    case HeaderId::kPAssertedIdentity:
    case HeaderId::kPPreferredIdentity:
    case HeaderId::kRemotePartyId:
      return true;
    default:
      return sip::startsWithIgnoreCase(name, "X-");
  }
}

}  // namespace

std::string withTag(std::string_view value, std::string_view tag) {
  std::string s(value);
  s.append(";tag=");
  s.append(tag);
  return s;
}

std::string_view contactUri(const sip::Message& m) {
  const sip::NameAddr* c = m.contact();
  return c != nullptr ? c->uri.text : std::string_view{};
}

std::vector<std::string> listElements(const sip::Message& m, HeaderId id) {
  std::vector<std::string> out;
  m.forEachElement(id, [&](std::string_view e) { out.emplace_back(e); });
  return out;
}

std::string LegMessages::via(Zone zone, config::TransportKind transport,
                             const std::string& branch) const {
  const transport::LocalEndpoint* local = ctx_.endpoints(zone, transport);
  std::string v = "SIP/2.0/";
  v.append(config::viaTransportName(transport));
  v.push_back(' ');
  v.append(local != nullptr ? local->address.toString() : "invalid");
  v.append(";branch=");
  v.append(branch);
  v.append(";rport");
  return v;
}

std::string LegMessages::contactFor(Zone zone, config::TransportKind transport, bool sips) const {
  const transport::LocalEndpoint* local = ctx_.endpoints(zone, transport);
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

void LegMessages::copyAllowedHeaders(const sip::Message& from, sip::MessageBuilder& out) const {
  for (const std::string& name : ctx_.config->b2bua.copyHeaders) {
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

std::string LegMessages::copyBody(const Call& call, Side from, const sip::Message& message,
                                  bool answer, sip::MessageBuilder& out) const {
  if (message.body().empty()) return {};
  const SessionBody body{message.value(HeaderId::kContentType), message.body()};
  BodyDecision decision =
      answer ? offerAnswer_->answer(call, from, body) : offerAnswer_->offer(call, from, body);
  switch (decision.kind) {
    case BodyDecision::Kind::kKeep:
      out.body(body.contentType, body.content);
      return {};
    case BodyDecision::Kind::kReplace:
      out.body(body.contentType, decision.text);
      return {};
    case BodyDecision::Kind::kRefuse:
      break;
  }
  return decision.text.empty() ? std::string("session description refused") : decision.text;
}

std::string LegMessages::copyAcross(const Crossing& crossing, bool answer,
                                    sip::MessageBuilder& out) const {
  copyAllowedHeaders(crossing.message, out);
  return copyBody(crossing.call, crossing.from, crossing.message, answer, out);
}

std::string LegMessages::inDialog(const Leg& leg, Zone zone, std::string_view method, uint32_t cseq,
                                  const std::string& branch, const Crossing* crossing,
                                  const ExtraHeaders& extra, std::string* refused) const {
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
  const std::string& userAgent = ctx_.config->b2bua.userAgent;
  if (!userAgent.empty()) b.header(HeaderId::kUserAgent, userAgent);
  for (const auto& [name, value] : extra) b.header(name, value);
  if (crossing != nullptr) {
    // An ACK or PRACK answers the offer its 2xx or reliable provisional carried.
    std::string why = copyAcross(*crossing, method == "ACK" || method == "PRACK", b);
    if (refused != nullptr) *refused = std::move(why);
  }
  return b.build();
}

std::string LegMessages::response(const transaction::ServerTransaction& st, const Leg& leg,
                                  int code, std::string_view reason, const Crossing* crossing,
                                  std::string* refused) const {
  // A relayed reason phrase is the far side's free text (like a Warning): keep it off the
  // trunk, where the standard phrase for the code says enough.
  if (crossing != nullptr && st.target().zone != Zone::kPbx) reason = {};
  auto b = sip::responseTo(st.request(), code, reason, leg.localTag);
  // Contact only where §20 Table 3 has it: 1xx/2xx to requests that create or refresh a
  // dialog's target, never in answers to BYE, CANCEL, INFO, PRACK or OPTIONS.
  const Method m = st.request().method();
  if (code > 100 && code < 300 &&
      (m == Method::kInvite || m == Method::kUpdate || m == Method::kSubscribe ||
       m == Method::kNotify || m == Method::kRefer)) {
    b.header(HeaderId::kContact, leg.localContact);
  }
  const std::string& userAgent = ctx_.config->b2bua.userAgent;
  if (!userAgent.empty()) b.header(HeaderId::kServer, userAgent);
  if (crossing != nullptr) {
    // A response answers the request's offer, or makes the offer when the request had none.
    std::string why = copyAcross(*crossing, !st.request().body().empty(), b);
    if (refused != nullptr) *refused = std::move(why);
  }
  return b.build();
}

std::string LegMessages::bLegInvite(const Call& call, const sip::Message& aInvite,
                                    const std::string& branch, uint32_t maxForwards,
                                    const ExtraHeaders& extra, std::string* refused) const {
  const Leg& b = call.b;
  auto m = sip::MessageBuilder::request("INVITE", b.remoteTarget);
  m.header(HeaderId::kVia, via(call.zoneB, b.peer.transport, branch));
  m.header(HeaderId::kMaxForwards, std::to_string(maxForwards));
  m.header(HeaderId::kFrom, b.localParty);
  m.header(HeaderId::kTo, b.remoteParty);
  m.header(HeaderId::kCallId, b.callId);
  m.header(HeaderId::kCSeq, std::to_string(b.inviteCseq) + " INVITE");
  m.header(HeaderId::kContact, b.localContact);
  const std::string& userAgent = ctx_.config->b2bua.userAgent;
  if (!userAgent.empty()) m.header(HeaderId::kUserAgent, userAgent);
  copyAllowedHeaders(aInvite, m);
  for (const auto& [name, value] : extra) m.header(name, value);
  std::string why = copyBody(call, Side::kA, aInvite, false, m);
  if (refused != nullptr) *refused = std::move(why);
  return m.build();
}

std::string LegMessages::cancelFor(const transaction::ClientTransaction& inviteTxn,
                                   std::string& branch) const {
  sip::Message invite;
  if (!invite.parse(inviteTxn.requestBytes()).ok()) return {};
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
  invite.forEach(HeaderId::kRoute,
                 [&](const sip::HeaderField& f) { b.header(HeaderId::kRoute, f.value); });
  branch = std::string(invite.topVia()->branch());
  return b.build();
}

std::string LegMessages::ping(const transport::SendTarget& target, std::string& branch) const {
  const transport::LocalEndpoint* local = ctx_.endpoints(target.zone, target.transport);
  if (local == nullptr || !target.address.valid()) return std::string();
  branch = transaction::TransactionLayer::newBranch();
  const std::string uri = "sip:" + target.address.toString();
  const std::string self = "<sip:trunkguard@" + local->address.toString() + ">";
  auto b = sip::MessageBuilder::request("OPTIONS", uri);
  b.header(HeaderId::kVia, via(target.zone, target.transport, branch));
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kFrom, withTag(self, base::randomHex(6)));
  b.header(HeaderId::kTo, "<" + uri + ">");
  b.header(HeaderId::kCallId, ctx_.newCallId());
  b.header(HeaderId::kCSeq, "1 OPTIONS");
  const std::string& userAgent = ctx_.config->b2bua.userAgent;
  if (!userAgent.empty()) b.header(HeaderId::kUserAgent, userAgent);
  return b.build();
}

sip::MessageBuilder LegMessages::answer(const sip::Message& request, int code,
                                        std::string_view reason, std::string_view toTag) const {
  auto b = sip::responseTo(request, code, reason, toTag);
  const std::string& userAgent = ctx_.config->b2bua.userAgent;
  if (!userAgent.empty()) b.header(HeaderId::kServer, userAgent);
  return b;
}

std::string LegMessages::localAnswer(const transaction::ServerTransaction& st, int code,
                                     std::string_view reason) const {
  auto b = answer(st.request(), code, reason, base::randomHex(8));
  if (code == 405 || (code == 200 && st.request().method() == Method::kOptions)) {
    b.header(HeaderId::kAllow, "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK");
  }
  if (code == 200 && st.request().method() == Method::kOptions) {
    b.header(HeaderId::kAccept, "application/sdp");
    // Not 100rel: a caller's Require: 100rel is answered 420 (request_checks_filter.cc).
    b.header(HeaderId::kSupported, "timer");
  }
  return b.build();
}

std::string LegMessages::notAcceptable(const transaction::ServerTransaction& st, const Leg& leg,
                                       std::string_view why) const {
  auto b = answer(st.request(), 488, {}, leg.localTag);
  const transport::LocalEndpoint* local = ctx_.endpoints(st.target().zone, st.target().transport);
  std::string text(why);
  std::erase(text, '"');  // a quoted-string: the reason is ours, but keep it well formed
  std::erase(text, '\\');
  b.header(
      HeaderId::kWarning,
      "399 " + (local != nullptr ? local->address.sipHost() : "trunkguard") + " \"" + text + "\"");
  return b.build();
}

}  // namespace tg::b2bua
