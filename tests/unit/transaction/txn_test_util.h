#pragma once

// Shared harness for the transaction layer tests: simulated time (ManualClock + TimerQueue,
// advanced in small steps), a Sender that records and parses every message sent, and a
// TransactionUser that records every callback and can be scripted to act inside them.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../common/test_helpers.h"
#include "base/address.h"
#include "base/clock.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "sip/builder.h"
#include "sip/message.h"
#include "transaction/transaction.h"
#include "transaction/transaction_layer.h"
#include "transaction/transaction_user.h"
#include "transport/transport.h"

namespace tg::transaction::testing {

using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;

using tg::testing::addr;
using tg::testing::parse;
using tg::testing::toMs;

// --- message text ----------------------------------------------------------------------------

struct RequestSpec {
  std::string method = "INVITE";
  std::string ruri = "sip:+15551234567@gw.example.com";
  std::string viaTransport = "UDP";
  std::string viaHost = "10.0.0.5";
  int viaPort = 5060;                      // < 0: no port in the sent-by
  std::string branch = "z9hG4bKpeer0001";  // empty: no branch parameter at all
  bool rport = false;
  std::string fromTag = "from-1";
  std::string toTag;  // empty: no To tag
  std::string callId = "call-1@10.0.0.5";
  uint32_t cseq = 1;
  std::string cseqMethod;  // empty: same as method
  std::vector<std::string> routes;
  std::vector<std::string> lowerVias;  // Via values below the top one
};

inline std::string viaValue(const RequestSpec& s) {
  std::string v = "SIP/2.0/" + s.viaTransport + " " + s.viaHost;
  if (s.viaPort >= 0) v += ":" + std::to_string(s.viaPort);
  if (!s.branch.empty()) v += ";branch=" + s.branch;
  if (s.rport) v += ";rport";
  return v;
}

inline std::string buildRequest(const RequestSpec& s) {
  auto b = sip::MessageBuilder::request(s.method, s.ruri);
  b.header(sip::HeaderId::kVia, viaValue(s));
  for (const auto& v : s.lowerVias) b.header(sip::HeaderId::kVia, v);
  for (const auto& r : s.routes) b.header(sip::HeaderId::kRoute, r);
  b.header(sip::HeaderId::kMaxForwards, "70");
  b.header(sip::HeaderId::kFrom, "\"Alice\" <sip:201@pbx.example.com>;tag=" + s.fromTag);
  std::string to = "<sip:+15551234567@gw.example.com>";
  if (!s.toTag.empty()) to += ";tag=" + s.toTag;
  b.header(sip::HeaderId::kTo, to);
  b.header(sip::HeaderId::kCallId, s.callId);
  b.header(sip::HeaderId::kCSeq,
           std::to_string(s.cseq) + " " + (s.cseqMethod.empty() ? s.method : s.cseqMethod));
  if (s.method == "INVITE") b.header(sip::HeaderId::kContact, "<sip:201@10.0.0.5:5060>");
  return b.build();
}

// A response to `requestText` as a peer would write it (RFC 3261 §8.2.6.2).
inline std::string responseTo(const std::string& requestText, int code,
                              std::string_view toTag = "remote-tag") {
  auto req = parse(requestText);
  return sip::responseTo(*req, code, {}, toTag).build();
}

// --- packets ---------------------------------------------------------------------------------

inline transport::Packet udpPacket(std::string_view ip = "10.0.0.5", uint16_t port = 5060,
                                   transport::Zone zone = transport::Zone::kPbx) {
  transport::Packet p;
  p.source = addr(ip, port);
  p.local = addr("192.0.2.1", 5060);
  p.transport = config::TransportKind::kUdp;
  p.zone = zone;
  return p;
}

inline transport::Packet tcpPacket(std::string_view ip, uint16_t port, transport::ConnectionId c,
                                   transport::Zone zone = transport::Zone::kPbx) {
  transport::Packet p;
  p.source = addr(ip, port);
  p.local = addr("192.0.2.1", 5060);
  p.transport = config::TransportKind::kTcp;
  p.zone = zone;
  p.connection = c;
  return p;
}

inline transport::SendTarget udpTarget(std::string_view ip = "203.0.113.10", uint16_t port = 5060) {
  transport::SendTarget t;
  t.zone = transport::Zone::kTrunk;
  t.transport = config::TransportKind::kUdp;
  t.address = addr(ip, port);
  return t;
}

inline transport::SendTarget tcpTarget(std::string_view ip = "203.0.113.10", uint16_t port = 5060) {
  transport::SendTarget t = udpTarget(ip, port);
  t.transport = config::TransportKind::kTcp;
  return t;
}

// --- recording Sender -----------------------------------------------------------------------

struct Sent {
  transport::SendTarget target;
  std::string bytes;
  int64_t atMs = 0;
  int declaredStatus = 0;             // the code given with sendResponse; 0 from send
  std::unique_ptr<sip::Message> msg;  // the bytes, parsed

  bool isRequest(std::string_view method) const {
    return msg->isRequest() && msg->methodText() == method;
  }
  bool isResponse(int code) const { return msg->isResponse() && msg->statusCode() == code; }
};

class RecordingSender final : public Sender {
 public:
  explicit RecordingSender(const base::Clock& clock) : clock_(clock) {}

  void send(const transport::SendTarget& target, std::string bytes) override {
    Sent s;
    s.target = target;
    s.bytes = bytes;
    s.atMs = toMs(clock_.now());
    s.msg = parse(std::move(bytes));
    sent.push_back(std::move(s));
    if (onSend) onSend(sent.back());
  }
  void sendResponse(const transport::SendTarget& target, int status, std::string bytes) override {
    send(target, std::move(bytes));
    sent.back().declaredStatus = status;
  }

  // Everything sent that is a request of `method` / a response with `code`.
  std::vector<const Sent*> requests(std::string_view method) const {
    std::vector<const Sent*> out;
    for (const auto& s : sent) {
      if (s.isRequest(method)) out.push_back(&s);
    }
    return out;
  }
  std::vector<const Sent*> responses(int code) const {
    std::vector<const Sent*> out;
    for (const auto& s : sent) {
      if (s.isResponse(code)) out.push_back(&s);
    }
    return out;
  }
  std::vector<int64_t> requestTimes(std::string_view method) const {
    std::vector<int64_t> out;
    for (const Sent* s : requests(method)) out.push_back(s->atMs);
    return out;
  }
  std::vector<int64_t> responseTimes(int code) const {
    std::vector<int64_t> out;
    for (const Sent* s : responses(code)) out.push_back(s->atMs);
    return out;
  }
  const Sent& last() const { return sent.back(); }

  std::deque<Sent> sent;  // a deque: references stay valid as more is sent
  std::function<void(const Sent&)> onSend;

 private:
  const base::Clock& clock_;
};

// --- recording TransactionUser --------------------------------------------------------------

enum class Ev {
  kRequest,
  kCancel,
  kAck,
  kAckTimeout,
  kResponse,
  kClientFailure,
  kStray,
  kTerminated,
};

struct Event {
  Ev type;
  int64_t atMs = 0;
  std::string key;  // the transaction's key (empty for stray / unmatched ACK)
  Kind kind = Kind::kClientInvite;
  uint64_t owner = 0;  // Transaction::ownerId
  uint64_t ownerTag = 0;
  int status = 0;      // responses
  std::string method;  // request method / CSeq method of a response
  bool transportError = false;
  bool matched = false;  // onAck: with an INVITE server transaction
  std::string text;      // the message, when there is one
};

class RecordingUser final : public TransactionUser {
 public:
  explicit RecordingUser(const base::Clock& clock) : clock_(clock) {}

  void onRequest(ServerTransaction& st) override {
    Event e = base(Ev::kRequest, st);
    e.method = std::string(st.request().methodText());
    e.text = std::string(st.request().text());
    events.push_back(std::move(e));
    live.insert(&st);
    lastServer = &st;
    if (onRequestHook) onRequestHook(st);
  }
  void onCancel(ServerTransaction& invite) override {
    EXPECT_TRUE(live.contains(&invite)) << "onCancel for a transaction never reported";
    events.push_back(base(Ev::kCancel, invite));
    if (onCancelHook) onCancelHook(invite);
  }
  void onAck(ServerTransaction& invite, const sip::Message& ack,
             const transport::Packet&) override {
    EXPECT_TRUE(live.contains(&invite)) << "onAck with a dead transaction";
    Event e = base(Ev::kAck, invite);
    e.matched = true;
    e.method = std::string(ack.methodText());
    e.text = std::string(ack.text());
    events.push_back(std::move(e));
  }
  void onStrayAck(const sip::Message& ack, const transport::Packet&) override {
    Event e;
    e.type = Ev::kAck;
    e.atMs = toMs(clock_.now());
    e.method = std::string(ack.methodText());
    e.text = std::string(ack.text());
    events.push_back(std::move(e));
  }
  void onAckTimeout(ServerTransaction& invite) override {
    EXPECT_TRUE(live.contains(&invite));
    events.push_back(base(Ev::kAckTimeout, invite));
  }
  void onResponse(ClientTransaction& ct, const sip::Message& response) override {
    EXPECT_TRUE(live.contains(&ct)) << "onResponse for a dead/unknown client transaction";
    Event e = base(Ev::kResponse, ct);
    e.status = response.statusCode();
    e.method = std::string(response.cseq() ? response.cseq()->methodText : "");
    e.text = std::string(response.text());
    events.push_back(std::move(e));
    if (onResponseHook) onResponseHook(ct, response);
  }
  void onClientFailure(ClientTransaction& ct, bool transportError) override {
    EXPECT_TRUE(live.contains(&ct)) << "onClientFailure for a dead/unknown client transaction";
    Event e = base(Ev::kClientFailure, ct);
    e.transportError = transportError;
    events.push_back(std::move(e));
    if (onClientFailureHook) onClientFailureHook(ct, transportError);
  }
  void onStrayResponse(const sip::Message& response, const transport::Packet&) override {
    Event e;
    e.type = Ev::kStray;
    e.atMs = toMs(clock_.now());
    e.status = response.statusCode();
    e.text = std::string(response.text());
    events.push_back(std::move(e));
  }
  void onTerminated(Transaction& t) override {
    EXPECT_EQ(t.state(), State::kTerminated);
    // CANCEL server transactions are answered by the layer itself and never reported.
    const bool internalCancel = t.key().ends_with("|CANCEL");
    if (live.erase(&t) == 0) {
      EXPECT_TRUE(internalCancel) << "onTerminated twice, or for an unknown transaction: "
                                  << t.key();
    }
    events.push_back(base(Ev::kTerminated, t));
    terminatedKeys.insert(t.key());
    if (lastServer == &t) lastServer = nullptr;
  }

  // Client transactions are created by the test (or a hook); register them so that callbacks
  // can be checked against the live set.
  ClientTransaction& track(ClientTransaction& ct) {
    live.insert(&ct);
    return ct;
  }

  size_t count(Ev type) const {
    return static_cast<size_t>(std::count_if(events.begin(), events.end(),
                                             [&](const Event& e) { return e.type == type; }));
  }
  size_t countResponses(int status) const {
    return static_cast<size_t>(std::count_if(events.begin(), events.end(), [&](const Event& e) {
      return e.type == Ev::kResponse && e.status == status;
    }));
  }
  std::vector<const Event*> of(Ev type) const {
    std::vector<const Event*> out;
    for (const auto& e : events) {
      if (e.type == type) out.push_back(&e);
    }
    return out;
  }
  const Event* lastOf(Ev type) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->type == type) return &*it;
    }
    return nullptr;
  }

  std::vector<Event> events;
  std::set<const Transaction*> live;  // reported and not yet terminated
  std::set<std::string> terminatedKeys;
  ServerTransaction* lastServer = nullptr;  // the latest onRequest, until it terminates

  std::function<void(ServerTransaction&)> onRequestHook;
  std::function<void(ServerTransaction&)> onCancelHook;
  std::function<void(ClientTransaction&, const sip::Message&)> onResponseHook;
  std::function<void(ClientTransaction&, bool)> onClientFailureHook;

 private:
  Event base(Ev type, const Transaction& t) const {
    Event e;
    e.type = type;
    e.atMs = toMs(clock_.now());
    e.key = t.key();
    e.kind = t.kind();
    e.owner = t.ownerId;
    e.ownerTag = t.ownerTag;
    return e;
  }

  const base::Clock& clock_;
};

// An owner that lists what it heard (transactions carry their owner: its events go there,
// never to the user).
struct CountingOwner final : TransactionOwner {
  std::vector<std::string> events;
  void onResponse(ClientTransaction& ct, const sip::Message& r) override {
    events.push_back("response " + std::to_string(r.statusCode()) + " tag " +
                     std::to_string(ct.ownerTag));
  }
  void onClientFailure(ClientTransaction&, bool) override { events.push_back("failure"); }
  void onCancel(ServerTransaction&) override { events.push_back("cancel"); }
  void onAck(ServerTransaction&, const sip::Message&, const transport::Packet&) override {
    events.push_back("ack");
  }
  void onAckTimeout(ServerTransaction&) override { events.push_back("ack-timeout"); }
  void onTerminated(Transaction&) override { events.push_back("terminated"); }
};

// --- fixture ---------------------------------------------------------------------------------

class TransactionTest : public ::testing::Test {
 protected:
  TransactionTest() : timers_(clock_), sender_(clock_), user_(clock_) { makeLayer(); }

  void makeLayer() {
    layer_.reset();
    layer_ = std::make_unique<TransactionLayer>(timers_, sender_, user_, timerSettings_);
  }
  void setTimers(Ms t1, Ms t2, Ms t4) {
    timerSettings_.t1 = t1;
    timerSettings_.t2 = t2;
    timerSettings_.t4 = t4;
    makeLayer();
  }

  int64_t nowMs() const { return toMs(clock_.now()); }

  // Moves simulated time forward by `d` in steps of `step`, running due timers after each.
  void advance(base::Duration d, base::Duration step = 10ms) {
    while (d > base::Duration::zero()) {
      const base::Duration s = std::min(step, d);
      clock_.advance(s);
      timers_.runDue();
      d -= s;
    }
  }
  // Advances to an absolute simulated time (ms since the start of the test).
  void advanceTo(int64_t ms, base::Duration step = 10ms) {
    const int64_t now = nowMs();
    ASSERT_GE(ms, now) << "time only moves forward";
    advance(Ms(ms - now), step);
  }
  // Runs until no timer is pending (or `limit` of simulated time has passed).
  void drain(base::Duration limit = 10min, base::Duration step = 100ms) {
    base::Duration spent{};
    timers_.runDue();
    while (timers_.pending() > 0 && spent < limit) {
      clock_.advance(step);
      timers_.runDue();
      spent += step;
    }
  }

  void deliver(std::string text, const transport::Packet& packet) {
    transport::Packet p = packet;
    p.bytes = text;
    p.received = clock_.now();
    layer_->receive(parse(std::move(text)), p);
  }

  // Starts a client transaction for `spec` (its branch is the transaction's) towards `target`.
  ClientTransaction& startClient(const RequestSpec& spec, const transport::SendTarget& target,
                                 uint64_t owner = 1, uint64_t ownerTag = 0) {
    const std::string method = spec.method;
    return user_.track(layer_->request(buildRequest(spec), spec.branch, sip::methodFromName(method),
                                       target, nullptr, owner, ownerTag));
  }

  // A request as trunkguard writes it on the trunk side (it is the UAC there).
  static RequestSpec ourRequest(std::string method = "INVITE",
                                std::string branch = "z9hG4bKtg000001") {
    RequestSpec s;
    s.method = std::move(method);
    s.ruri = "sip:+15551234567@trunk.example.net";
    s.viaHost = "192.0.2.1";
    s.viaPort = 5060;
    s.branch = std::move(branch);
    s.fromTag = "tg-from-1";
    s.callId = "tg-call-1@192.0.2.1";
    s.cseq = 1;
    return s;
  }

  // Answers `st` the way the B2BUA does: the To tag is the transaction's localTag.
  void respond(ServerTransaction& st, int code, std::string_view tag = "gw-tag-1") {
    if (code > 100 && st.localTag().empty()) st.setLocalTag(std::string(tag));
    layer_->respond(st, code, sip::responseTo(st.request(), code, {}, st.localTag()).build());
  }

  // The ACK the peer sends for our non-2xx: same branch as the INVITE (§17.1.1.3).
  static std::string ackForNon2xx(RequestSpec invite, const std::string& toTag) {
    invite.method = "ACK";
    invite.cseqMethod = "ACK";
    invite.toTag = toTag;
    return buildRequest(invite);
  }
  // The ACK the peer sends for our 2xx: a new transaction (new branch), to the Contact.
  static std::string ackFor2xx(RequestSpec invite, const std::string& toTag,
                               std::string branch = "z9hG4bKpeerack01") {
    invite.method = "ACK";
    invite.cseqMethod = "ACK";
    invite.toTag = toTag;
    invite.branch = std::move(branch);
    invite.ruri = "sip:gw@192.0.2.1:5060";
    return buildRequest(invite);
  }

  ServerTransaction& receiveInvite(const RequestSpec& spec,
                                   const transport::Packet& packet = udpPacket()) {
    const size_t before = user_.count(Ev::kRequest);
    deliver(buildRequest(spec), packet);
    EXPECT_EQ(user_.count(Ev::kRequest), before + 1);
    EXPECT_NE(user_.lastServer, nullptr);
    return *user_.lastServer;
  }

  base::ManualClock clock_;
  base::TimerQueue timers_;
  RecordingSender sender_;
  RecordingUser user_;
  config::TransactionTimers timerSettings_;
  std::unique_ptr<TransactionLayer> layer_;
};

}  // namespace tg::transaction::testing
