#include "transaction/transaction_layer.h"

#include <algorithm>

#include "base/log.h"
#include "base/random.h"
#include "sip/builder.h"
#include "sip/header_values.h"
#include "sip/response_via.h"

namespace tg::transaction {
namespace {

using sip::HeaderId;
using sip::Method;

std::string_view methodForKey(const sip::Message& m) {
  // An ACK for a non-2xx belongs to its INVITE's server transaction (§17.2.3).
  return m.method() == Method::kAck ? std::string_view("INVITE") : m.methodText();
}

std::string serverKey(const sip::Message& m) {
  const sip::Via* via = m.topVia();
  std::string key;
  // Sized to fit: the key is kept (twice) for as long as the transaction lingers.
  key.reserve(via->branch().size() + via->host.size() + m.methodText().size() + 16);
  if (via->hasMagicCookie()) {
    key.append(via->branch());
    key.push_back('|');
    key.append(via->host);
    key.push_back(':');
    if (via->hasPort) key.append(std::to_string(via->port));
  } else {
    // RFC 2543 peers: match on the request's identifying fields instead (§17.2.3).
    key.append("2543|");
    key.append(m.requestUriText());
    key.push_back('|');
    key.append(m.from()->tag());
    key.push_back('|');
    key.append(m.callId());
    key.push_back('|');
    key.append(std::to_string(m.cseq()->number));
    key.push_back('|');
    key.append(via->host);
    key.push_back(':');
    key.append(std::to_string(via->port));
  }
  key.push_back('|');
  key.append(methodForKey(m));
  return key;
}

std::string clientKey(std::string_view branch, std::string_view method) {
  std::string key;
  key.reserve(branch.size() + method.size() + 1);
  key.append(branch);
  key.push_back('|');
  key.append(method);
  return key;
}

// The ACK for a 2xx belongs to the dialog the 2xx created (§13.3.1.4, §12.2.2): Call-ID,
// CSeq number and both tags, so that an ACK with foreign tags cannot stop our 2xx or reach the
// user as the caller's ACK.
std::string ackKey(std::string_view callId, uint32_t cseq, std::string_view fromTag,
                   std::string_view toTag) {
  std::string key(callId);
  key.push_back(' ');
  key.append(std::to_string(cseq));
  key.push_back(' ');
  key.append(fromTag);
  key.push_back(' ');
  key.append(toTag);
  return key;
}

std::string ackKey(const sip::Message& m) {
  return ackKey(m.callId(), m.cseq()->number, m.from()->tag(), m.to()->tag());
}

// §17.1.1.3: the ACK a client INVITE transaction sends for a non-2xx final response.
std::string buildAckForNon2xx(const std::string& inviteBytes, const sip::Message& response) {
  sip::Message invite;
  if (!invite.parse(inviteBytes).ok()) return {};
  std::string_view topVia;
  invite.forEachElement(HeaderId::kVia, [&](std::string_view e) {
    if (topVia.empty()) topVia = e;
  });
  auto b = sip::MessageBuilder::request("ACK", invite.requestUriText());
  b.header(HeaderId::kVia, topVia);
  invite.forEach(HeaderId::kRoute,
                 [&](const sip::HeaderField& f) { b.header(HeaderId::kRoute, f.value); });
  b.header(HeaderId::kMaxForwards, "70");
  b.header(HeaderId::kFrom, invite.value(HeaderId::kFrom));
  b.header(HeaderId::kTo, response.value(HeaderId::kTo));
  b.header(HeaderId::kCallId, invite.callId());
  b.header(HeaderId::kCSeq, std::to_string(invite.cseq()->number) + " ACK");
  return b.build();
}

}  // namespace

std::string_view kindName(Kind k) {
  switch (k) {
    case Kind::kClientInvite:
      return "client-invite";
    case Kind::kClientNonInvite:
      return "client-non-invite";
    case Kind::kServerInvite:
      return "server-invite";
    case Kind::kServerNonInvite:
      return "server-non-invite";
  }
  return "?";
}

std::string_view stateName(State s) {
  switch (s) {
    case State::kCalling:
      return "calling";
    case State::kTrying:
      return "trying";
    case State::kProceeding:
      return "proceeding";
    case State::kAccepted:
      return "accepted";
    case State::kCompleted:
      return "completed";
    case State::kConfirmed:
      return "confirmed";
    case State::kTerminated:
      return "terminated";
  }
  return "?";
}

void Transaction::cancelTimers(base::TimerQueue& timers) {
  timers.cancel(retransmitTimer_);
  timers.cancel(timeoutTimer_);
  timers.cancel(cleanupTimer_);
  retransmitTimer_ = timeoutTimer_ = cleanupTimer_ = base::kNoTimer;
}

transport::SendTarget responseTarget(const sip::Message& request, const transport::Packet& packet) {
  transport::SendTarget t;
  t.zone = packet.zone;
  t.transport = packet.transport;
  t.address = packet.source;
  if (packet.transport != config::TransportKind::kUdp) {
    t.connection = packet.connection;  // §18.2.2: back on the same connection
    return t;
  }
  // Always the source IP (the "received" address); the port is the source port when the
  // client asked for rport (RFC 3581), else the sent-by port.
  const sip::Via* via = request.topVia();
  if (via != nullptr && !via->hasRport()) t.address.setPort(via->hasPort ? via->port : 5060);
  return t;
}

TransactionLayer::TransactionLayer(base::TimerQueue& timers, Sender& sender, TransactionUser& user,
                                   const config::TransactionTimers& settings)
    : timers_(timers), sender_(sender), user_(user), settings_(settings) {}

TransactionLayer::~TransactionLayer() {
  timers_.cancel(buryTimer_);
  for (auto& [key, st] : servers_) st->cancelTimers(timers_);
  for (auto& [key, ct] : clients_) ct->cancelTimers(timers_);
}

std::string TransactionLayer::newBranch() {
  std::string b(sip::kBranchMagicCookie);
  b.append(base::randomHex(12));
  return b;
}

void TransactionLayer::sendRaw(const transport::SendTarget& target, const std::string& bytes) {
  sender_.send(target, bytes);
}

void TransactionLayer::sendResponse(const ServerTransaction& st, int status,
                                    const std::string& bytes) {
  sender_.sendResponse(st.target_, status, bytes);
}

void TransactionLayer::buryLater() {
  if (buryTimer_ != base::kNoTimer) return;
  buryTimer_ = timers_.schedule(base::Duration::zero(), [this] {
    buryTimer_ = base::kNoTimer;
    graveyard_.clear();
  });
}

void TransactionLayer::scheduleTimeout(Transaction& t, base::Duration after,
                                       std::function<void()> fn) {
  timers_.cancel(t.timeoutTimer_);
  t.timeoutTimer_ = timers_.schedule(after, std::move(fn));
}

void TransactionLayer::scheduleCleanup(Transaction& t, base::Duration after) {
  timers_.cancel(t.cleanupTimer_);
  if (t.kind() == Kind::kServerInvite || t.kind() == Kind::kServerNonInvite) {
    auto* st = static_cast<ServerTransaction*>(&t);
    t.cleanupTimer_ = timers_.schedule(after, [this, st] { terminateServer(*st); });
  } else {
    auto* ct = static_cast<ClientTransaction*>(&t);
    t.cleanupTimer_ = timers_.schedule(after, [this, ct] { terminateClient(*ct); });
  }
}

void TransactionLayer::lingerAnswered(ServerTransaction& st) {
  const uint64_t serial = ++lingeringSerial_;
  lingering_[&st] = serial;
  lingeringOrder_.emplace_back(&st, serial);
  // Oldest first; entries of transactions that already ended are skipped on the way (the
  // serial tells a reused address apart).
  auto live = [this](const std::pair<ServerTransaction*, uint64_t>& e) {
    const auto it = lingering_.find(e.first);
    return it != lingering_.end() && it->second == e.second;
  };
  while (lingering_.size() > kMaxLingeringErrors && !lingeringOrder_.empty()) {
    const auto oldest = lingeringOrder_.front();
    lingeringOrder_.pop_front();
    if (oldest.first != &st && live(oldest)) {
      ++stats_.lingeringEndedEarly;
      terminateServer(*oldest.first);
    }
  }
  if (lingeringOrder_.size() > 2 * lingering_.size() + 64) {
    std::erase_if(lingeringOrder_, [&](const auto& e) { return !live(e); });
  }
}

void TransactionLayer::terminateServer(ServerTransaction& st) {
  if (st.state_ == State::kTerminated) return;
  lingering_.erase(&st);
  st.state_ = State::kTerminated;
  st.cancelTimers(timers_);
  if (!st.ackKey_.empty()) {
    // Only our own entry: a colliding key must not remove another transaction's.
    if (auto it = awaitingAck_.find(st.ackKey_); it != awaitingAck_.end() && it->second == &st) {
      awaitingAck_.erase(it);
    }
  }
  ownerOf(st).onTerminated(st);
  auto it = servers_.find(st.key());
  if (it != servers_.end()) {
    graveyard_.push_back(std::move(it->second));
    servers_.erase(it);
    buryLater();
  }
}

void TransactionLayer::terminateClient(ClientTransaction& ct) {
  if (ct.state_ == State::kTerminated) return;
  ct.state_ = State::kTerminated;
  ct.cancelTimers(timers_);
  ownerOf(ct).onTerminated(ct);
  auto it = clients_.find(ct.key());
  if (it != clients_.end()) {
    graveyard_.push_back(std::move(it->second));
    clients_.erase(it);
    buryLater();
  }
}

void TransactionLayer::receive(std::unique_ptr<sip::Message> message,
                               const transport::Packet& packet) {
  if (message->isResponse()) {
    receiveResponse(*message, packet);
    return;
  }
  switch (message->method()) {
    case Method::kAck:
      receiveAck(std::move(message), packet);
      break;
    case Method::kCancel:
      receiveCancel(std::move(message), packet);
      break;
    default:
      receiveRequest(std::move(message), packet);
      break;
  }
}

void TransactionLayer::receiveRequest(std::unique_ptr<sip::Message> message,
                                      const transport::Packet& packet) {
  std::string key = serverKey(*message);
  if (auto it = servers_.find(key); it != servers_.end()) {
    // A retransmission: answer from state (§17.2.1, §17.2.2).
    ServerTransaction& st = *it->second;
    ++stats_.retransmissionsAbsorbed;
    if (!st.lastResponse_.empty() && st.state_ != State::kAccepted) {
      sendResponse(st, st.lastStatus_, st.lastResponse_);
    }
    return;
  }
  const bool invite = message->method() == Method::kInvite;
  auto owned = std::make_unique<ServerTransaction>(
      invite ? Kind::kServerInvite : Kind::kServerNonInvite, key, std::move(message));
  ServerTransaction& st = *owned;
  st.target_ = responseTarget(st.request(), packet);
  servers_.emplace(std::move(key), std::move(owned));
  ++stats_.serverCreated;
  if (invite) {
    // Stop the client's INVITE retransmissions at once (B2BUA.md step 1).
    st.state_ = State::kProceeding;
    st.lastResponse_ = sip::responseTo(st.request(), 100).build();
    sip::stampTopVia(st.lastResponse_, st.request(), packet.source.ip(), packet.source.port());
    st.lastStatus_ = 100;
    sendResponse(st, 100, st.lastResponse_);
  } else {
    st.state_ = State::kTrying;
  }
  user_.onRequest(st);
}

void TransactionLayer::receiveAck(std::unique_ptr<sip::Message> ack,
                                  const transport::Packet& packet) {
  if (auto it = servers_.find(serverKey(*ack)); it != servers_.end()) {
    ServerTransaction& st = *it->second;
    if (st.state_ == State::kCompleted) {
      // ACK for our non-2xx: stop retransmitting; Timer I absorbs further ACKs.
      st.state_ = State::kConfirmed;
      timers_.cancel(st.retransmitTimer_);
      timers_.cancel(st.timeoutTimer_);
      scheduleCleanup(st, st.reliable() ? base::Duration::zero() : t4());
      return;
    }
    if (st.state_ == State::kConfirmed) {
      ++stats_.retransmissionsAbsorbed;
      return;
    }
  }
  // An ACK for a 2xx is its own transaction; match it to the INVITE by dialog (§13.3.1.4).
  auto it = awaitingAck_.find(ackKey(*ack));
  if (it == awaitingAck_.end()) {
    user_.onStrayAck(*ack, packet);
    return;
  }
  ServerTransaction& invite = *it->second;
  awaitingAck_.erase(it);
  invite.ackKey_.clear();
  timers_.cancel(invite.retransmitTimer_);
  invite.retransmitTimer_ = base::kNoTimer;
  ownerOf(invite).onAck(invite, *ack, packet);
  // Until Timer L the transaction only absorbs INVITE retransmissions by its key: the request
  // and the 2xx are no longer needed, and long calls should not pay for them.
  invite.releaseMessages();
}

void TransactionLayer::receiveCancel(std::unique_ptr<sip::Message> cancel,
                                     const transport::Packet& packet) {
  std::string key = serverKey(*cancel);
  if (auto it = servers_.find(key); it != servers_.end()) {
    ++stats_.retransmissionsAbsorbed;
    sendResponse(*it->second, it->second->lastStatus_, it->second->lastResponse_);
    return;
  }
  // The INVITE it cancels has the same key but for the method (§9.2).
  std::string inviteKey = key.substr(0, key.size() - std::string_view("CANCEL").size());
  inviteKey.append("INVITE");
  auto owned = std::make_unique<ServerTransaction>(Kind::kServerNonInvite, key, std::move(cancel));
  ServerTransaction& st = *owned;
  st.target_ = responseTarget(st.request(), packet);
  st.state_ = State::kTrying;
  servers_.emplace(std::move(key), std::move(owned));
  ++stats_.serverCreated;

  auto inv = servers_.find(inviteKey);
  if (inv == servers_.end()) {
    // §9.2: a CANCEL matching any pending transaction is answered 200 (it has no effect on a
    // non-INVITE). A few direct lookups rather than a scan, so CANCEL floods stay cheap.
    const std::string prefix = inviteKey.substr(0, inviteKey.size() - 6);
    for (std::string_view method : {"OPTIONS", "REGISTER", "BYE", "INFO", "UPDATE", "MESSAGE",
                                    "PRACK", "SUBSCRIBE", "NOTIFY", "REFER", "PUBLISH"}) {
      if (servers_.contains(prefix + std::string(method))) {
        respond(st, 200, sip::responseTo(st.request(), 200, {}, base::randomHex(8)).build());
        return;
      }
    }
    respond(st, 481, sip::responseTo(st.request(), 481, {}, base::randomHex(8)).build());
    return;
  }
  ServerTransaction& invite = *inv->second;
  if (invite.localTag().empty()) invite.setLocalTag(base::randomHex(8));
  respond(st, 200, sip::responseTo(st.request(), 200, {}, invite.localTag()).build());
  if (invite.lastStatus_ < 200 && !invite.cancelled_) {
    invite.cancelled_ = true;
    ownerOf(invite).onCancel(invite);
  }
}

void TransactionLayer::respond(ServerTransaction& st, int status, std::string bytes) {
  // After a final response the state machine owns retransmissions; later answers are ignored.
  if (st.state_ == State::kTerminated || st.state_ == State::kCompleted ||
      st.state_ == State::kConfirmed || st.state_ == State::kAccepted) {
    return;
  }
  // RFC 3581: the request's rport is answered with the port (and received=) it came from.
  sip::stampTopVia(bytes, st.request(), st.target_.address.ip(), st.target_.address.port());
  sendResponse(st, status, bytes);
  st.lastResponse_ = std::move(bytes);
  st.lastStatus_ = status;
  ServerTransaction* p = &st;

  if (status < 200) {
    st.state_ = State::kProceeding;
    return;
  }
  if (st.kind() == Kind::kServerNonInvite) {
    st.state_ = State::kCompleted;
    // Until Timer J only the final response is resent: the request can go now.
    st.releaseRequest();
    scheduleCleanup(st, st.reliable() ? base::Duration::zero() : 64 * t1());  // Timer J
    if (!st.reliable() && status >= 300) lingerAnswered(st);
    return;
  }
  if (status < 300) {
    // Accepted (RFC 6026): retransmit the 2xx until its ACK arrives (§13.3.1.4), and keep
    // absorbing INVITE retransmissions until Timer L.
    st.state_ = State::kAccepted;
    {
      // An initial INVITE's To has no tag: the 2xx carries the transaction's local tag.
      const sip::Message& rq = st.request();
      const std::string_view toTag =
          rq.to()->tag().empty() ? std::string_view(st.localTag()) : rq.to()->tag();
      st.ackKey_ = ackKey(rq.callId(), rq.cseq()->number, rq.from()->tag(), toTag);
    }
    awaitingAck_[st.ackKey_] = &st;
    scheduleTimeout(st, 64 * t1(), [this, p] {
      if (!p->ackKey_.empty()) {
        ++stats_.ackTimeouts;
        ownerOf(*p).onAckTimeout(*p);
      }
      terminateServer(*p);
    });
    startResponseRetransmit(st);
    return;
  }
  // 3xx-6xx: Completed, retransmit with Timer G until the ACK, give up at Timer H.
  st.state_ = State::kCompleted;
  startResponseRetransmit(st);                                         // Timer G
  scheduleTimeout(st, 64 * t1(), [this, p] { terminateServer(*p); });  // Timer H
}

void TransactionLayer::dropSilently(ServerTransaction& st) {
  if (st.state_ == State::kTerminated || st.lastStatus_ >= 200) return;
  // Confirmed: later answers (a CANCEL's 487) are ignored, like after a final response.
  st.state_ = State::kConfirmed;
  timers_.cancel(st.retransmitTimer_);
  timers_.cancel(st.timeoutTimer_);
  scheduleCleanup(st, st.reliable() ? base::Duration::zero() : 64 * t1());
}

void TransactionLayer::startResponseRetransmit(ServerTransaction& st) {
  // Timer G is for unreliable transports only; the 2xx is retransmitted whatever the transport
  // until its ACK arrives (§13.3.1.4).
  if (st.reliable() && st.state_ != State::kAccepted) return;
  st.retransmitInterval_ = t1();
  ServerTransaction* p = &st;
  st.retransmitTimer_ = timers_.schedule(t1(), [this, p] { retransmitResponse(*p); });
}

void TransactionLayer::retransmitResponse(ServerTransaction& st) {
  ++stats_.retransmissionsSent;
  sendResponse(st, st.lastStatus_, st.lastResponse_);
  st.retransmitInterval_ = std::min<base::Duration>(2 * st.retransmitInterval_, t2());
  ServerTransaction* p = &st;
  st.retransmitTimer_ =
      timers_.schedule(st.retransmitInterval_, [this, p] { retransmitResponse(*p); });
}

// --- client side -------------------------------------------------------------------------

ClientTransaction& TransactionLayer::request(std::string bytes, std::string_view branch,
                                             sip::Method method,
                                             const transport::SendTarget& target,
                                             TransactionOwner* owner, uint64_t ownerId,
                                             uint64_t ownerTag) {
  const bool invite = method == Method::kInvite;
  std::string key = clientKey(branch, sip::methodName(method));
  auto owned = std::make_unique<ClientTransaction>(
      invite ? Kind::kClientInvite : Kind::kClientNonInvite, key, std::move(bytes), method);
  ClientTransaction& ct = *owned;
  ct.owner = owner;
  ct.ownerId = ownerId;
  ct.ownerTag = ownerTag;
  ct.target_ = target;
  ct.state_ = invite ? State::kCalling : State::kTrying;
  // A branch collision would be a bug (they are random); the newer transaction wins.
  if (auto it = clients_.find(key); it != clients_.end()) terminateClient(*it->second);
  clients_.emplace(std::move(key), std::move(owned));
  ++stats_.clientCreated;

  if (method == Method::kCancel) {
    // §9.1: an INVITE that stays without a final response 64*T1 after its CANCEL is given up,
    // so a peer that rings and then goes silent cannot hold the transaction forever.
    if (auto inv = clients_.find(clientKey(branch, "INVITE"));
        inv != clients_.end() && inv->second->state_ == State::kProceeding) {
      ClientTransaction* ip = inv->second.get();
      scheduleTimeout(*ip, 64 * t1(), [this, ip] {
        ++stats_.clientTimeouts;
        ownerOf(*ip).onClientFailure(*ip, false);
        terminateClient(*ip);
      });
    }
  }
  if (large_ != nullptr && target.transport == config::TransportKind::kUdp &&
      ct.request_.size() > LargeRequests::kUdpLimit) {
    std::string udpBytes = ct.request_;
    if (auto moved = large_->moveToStream(target, ct.request_)) {
      ct.udpRequest_ = std::move(udpBytes);
      ct.udpTarget_ = target;
      ct.target_ = *moved;
    }
  }
  sendFirst(ct);
  ClientTransaction* p = &ct;
  scheduleTimeout(ct, 64 * t1(), [this, p] {  // Timer B / F
    ++stats_.clientTimeouts;
    ownerOf(*p).onClientFailure(*p, false);
    terminateClient(*p);
  });
  return ct;
}

void TransactionLayer::sendFirst(ClientTransaction& ct) {
  sendRaw(ct.target_, ct.request_);
  ClientTransaction* p = &ct;
  if (!ct.reliable()) {  // Timer A / E
    ct.retransmitInterval_ = t1();
    ct.retransmitTimer_ = timers_.schedule(t1(), [this, p] { retransmitRequest(*p); });
  }
}

void TransactionLayer::retransmitRequest(ClientTransaction& ct) {
  ++stats_.retransmissionsSent;
  sendRaw(ct.target_, ct.request_);
  // Timer A doubles without bound; Timer E doubles up to T2, and stays at T2 once a
  // provisional arrived (§17.1.2.2).
  ct.retransmitInterval_ = ct.kind() == Kind::kClientInvite
                               ? 2 * ct.retransmitInterval_
                               : std::min<base::Duration>(2 * ct.retransmitInterval_, t2());
  ClientTransaction* p = &ct;
  ct.retransmitTimer_ =
      timers_.schedule(ct.retransmitInterval_, [this, p] { retransmitRequest(*p); });
}

void TransactionLayer::receiveResponse(const sip::Message& response,
                                       const transport::Packet& packet) {
  const sip::Via* via = response.topVia();
  auto it = clients_.find(clientKey(via->branch(), response.cseq()->methodText));
  if (it == clients_.end()) {
    ++stats_.strayResponses;
    user_.onStrayResponse(response, packet);
    return;
  }
  ClientTransaction& ct = *it->second;
  const int status = response.statusCode();
  const bool invite = ct.kind() == Kind::kClientInvite;

  if (status < 200) {
    if (ct.state_ == State::kCalling || ct.state_ == State::kTrying ||
        ct.state_ == State::kProceeding) {
      ct.state_ = State::kProceeding;
      ct.lastStatus_ = status;
      if (invite) {
        // The INVITE is delivered: stop Timer A, and Timer B (the TU decides how long to ring).
        ct.cancelTimers(timers_);
      } else if (!ct.reliable()) {
        timers_.cancel(ct.retransmitTimer_);
        ct.retransmitInterval_ = t2() / 2;  // doubled to T2 by the next retransmission
        ClientTransaction* p = &ct;
        ct.retransmitTimer_ = timers_.schedule(t2(), [this, p] { retransmitRequest(*p); });
      }
      ownerOf(ct).onResponse(ct, response);
    }
    return;
  }

  ClientTransaction* p = &ct;
  if (invite && status < 300) {
    if (ct.state_ == State::kCalling || ct.state_ == State::kProceeding) {
      ct.cancelTimers(timers_);
      ct.state_ = State::kAccepted;
      ct.lastStatus_ = status;
      std::string().swap(ct.request_);  // never resent once answered; only its key matters
      scheduleCleanup(ct, 64 * t1());   // Timer M
    }
    if (ct.state_ == State::kAccepted)
      ownerOf(ct).onResponse(ct, response);  // 2xx retransmissions too
    return;
  }
  if (invite) {
    if (ct.state_ == State::kCalling || ct.state_ == State::kProceeding) {
      ct.cancelTimers(timers_);
      ct.state_ = State::kCompleted;
      ct.lastStatus_ = status;
      ct.ackForNon2xx_ = buildAckForNon2xx(ct.request_, response);
      sendRaw(ct.target_, ct.ackForNon2xx_);
      scheduleCleanup(ct, ct.reliable() ? base::Duration::zero() : std::chrono::seconds(32));
      ownerOf(ct).onResponse(ct, response);
    } else if (ct.state_ == State::kCompleted) {
      ++stats_.retransmissionsAbsorbed;
      sendRaw(ct.target_, ct.ackForNon2xx_);
    }
    return;
  }
  if (ct.state_ == State::kTrying || ct.state_ == State::kProceeding) {
    ct.cancelTimers(timers_);
    ct.state_ = State::kCompleted;
    ct.lastStatus_ = status;
    ownerOf(ct).onResponse(ct, response);
    if (ct.state_ != State::kTerminated) {
      scheduleCleanup(*p, p->reliable() ? base::Duration::zero() : t4());  // Timer K
    }
  } else {
    ++stats_.retransmissionsAbsorbed;
  }
}

void TransactionLayer::onSendError(const transport::SendTarget& target) {
  std::vector<ClientTransaction*> failed;
  for (auto& [key, ct] : clients_) {
    if ((ct->state_ == State::kCalling || ct->state_ == State::kTrying) &&
        ct->target_.address == target.address && ct->target_.transport == target.transport) {
      failed.push_back(ct.get());
    }
  }
  size_t refused = 0;
  for (ClientTransaction* ct : failed) {
    if (!ct->udpRequest_.empty()) {
      // A large request moved to TCP: §18.1.1 sends it over UDP when TCP is refused. Timer
      // B/F keeps running from the first attempt.
      ++refused;
      ct->request_ = std::move(ct->udpRequest_);
      ct->udpRequest_.clear();
      ct->target_ = ct->udpTarget_;
      sendFirst(*ct);
      continue;
    }
    ownerOf(*ct).onClientFailure(*ct, true);
    terminateClient(*ct);
  }
  if (refused > 0 && large_ != nullptr) large_->refused(target, refused);
}

}  // namespace tg::transaction
