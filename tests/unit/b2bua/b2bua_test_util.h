#pragma once

// Harness for the B2BUA call-flow tests: the real B2bua wired to a real TransactionLayer on
// simulated time (ManualClock + TimerQueue, advanced in small steps), a Sender that records and
// parses every message with the zone and address it went to, a fixed EndpointLookup, and small
// scripted peers (the PBX and two providers) whose messages are injected with
// TransactionLayer::receive() as if they had arrived on the matching zone.
//
//   PBX          127.0.0.1:5080  zone pbx    (trunkguard's pbx listener   127.0.0.1:5070)
//   provider A   127.0.0.1:5090  zone trunk  (trunkguard's trunk listener 127.0.0.1:5060)
//   provider B   127.0.0.2:5090  zone trunk

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../common/test_helpers.h"
#include "b2bua/b2bua.h"
#include "base/address.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/timer_queue.h"
#include "config/config.h"
#include "config/config_loader.h"
#include "db/cdr_store.h"
#include "guard/security_event.h"
#include "sip/builder.h"
#include "sip/message.h"
#include "sip/validator.h"
#include "transaction/transaction.h"
#include "transaction/transaction_layer.h"
#include "transport/transport.h"

namespace tg::b2bua::testing {

using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;
using sip::HeaderId;
using transport::Zone;
using Headers = std::vector<std::pair<std::string, std::string>>;

using tg::testing::addr;
using tg::testing::parse;
using tg::testing::toMs;

// The URI inside a name-addr value ("\"x\" <sip:a@b>;tag=1" -> "sip:a@b").
inline std::string uriOf(std::string_view nameAddr) {
  const size_t lt = nameAddr.find('<');
  const size_t gt = nameAddr.find('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt) {
    return std::string(nameAddr.substr(lt + 1, gt - lt - 1));
  }
  return std::string(nameAddr.substr(0, nameAddr.find(';')));
}

// --- peers -----------------------------------------------------------------------------------

struct Peer {
  std::string name;
  Zone zone;
  std::string ip;
  uint16_t port;
  base::Address address() const { return addr(ip, port); }
  std::string hostPort() const { return ip + ":" + std::to_string(port); }
};

inline const Peer kPbx{"pbx", Zone::kPbx, "127.0.0.1", 5080};
inline const Peer kProvA{"carrier-a", Zone::kTrunk, "127.0.0.1", 5090};
inline const Peer kProvB{"carrier-b", Zone::kTrunk, "127.0.0.2", 5090};

// trunkguard's listeners.
inline const std::string kPbxListener = "127.0.0.1:5070";
inline const std::string kTrunkListener = "127.0.0.1:5060";

// NANP as the policy tests write it: +1, 011 international, 1 national, ten digits.
inline config::NumberingPlan nanpPlan() {
  config::NumberingPlan us;
  us.country = "US";
  us.countryCode = "1";
  us.internationalPrefix = "011";
  us.nationalPrefix = "1";
  us.nationalLength = 10;
  return us;
}

// An enabled call policy on that plan; with `allowDomestic`, one rule ("domestic") allows +1.
// Security events the B2BUA records (policy refusals, admission and fraud decisions).
class RecordingEvents final : public guard::EventSink {
 public:
  void record(guard::SecurityEvent event) override {
    std::lock_guard lock(mutex_);
    events.push_back(std::move(event));
  }
  std::vector<guard::SecurityEvent> events;

 private:
  std::mutex mutex_;
};

inline config::PolicySettings nanpPolicy(bool allowDomestic) {
  config::PolicySettings s;
  s.enabled = true;
  s.numbering.fill(nanpPlan());
  if (allowDomestic) {
    config::PolicyRule domestic;
    domestic.name = "domestic";
    domestic.prefixes = {"+1"};
    domestic.action = config::PolicyAction::kAllow;
    s.rules = {domestic};
  }
  return s;
}

inline const std::string kSdpOffer =
    "v=0\r\n"
    "o=caller 2890844526 2890844526 IN IP4 198.51.100.7\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n";
inline const std::string kSdpAnswer =
    "v=0\r\n"
    "o=callee 2890844730 2890844730 IN IP4 203.0.113.9\r\n"
    "s=-\r\n"
    "c=IN IP4 203.0.113.9\r\n"
    "t=0 0\r\n"
    "m=audio 3456 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";
inline const std::string kSdpReoffer =
    "v=0\r\n"
    "o=caller 2890844526 2890844527 IN IP4 198.51.100.7\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "a=sendonly\r\n";

// --- writing messages as a peer does -----------------------------------------------------------

struct Request {
  std::string method;
  std::string ruri;
  std::string via;  // the whole top Via value
  std::vector<std::string> lowerVias;
  std::string from;
  std::string to;
  std::string callId;
  uint32_t cseq = 1;
  std::string cseqMethod;  // empty: same as method
  std::string contact;     // empty: none
  std::vector<std::string> recordRoutes;
  std::vector<std::string> routes;
  int maxForwards = 70;  // < 0: none
  Headers headers;
  std::string contentType = "application/sdp";
  std::string body;

  std::string build() const {
    auto b = sip::MessageBuilder::request(method, ruri);
    b.header(HeaderId::kVia, via);
    for (const auto& v : lowerVias) b.header(HeaderId::kVia, v);
    for (const auto& r : routes) b.header(HeaderId::kRoute, r);
    for (const auto& r : recordRoutes) b.header(HeaderId::kRecordRoute, r);
    if (maxForwards >= 0) b.header(HeaderId::kMaxForwards, std::to_string(maxForwards));
    b.header(HeaderId::kFrom, from);
    b.header(HeaderId::kTo, to);
    b.header(HeaderId::kCallId, callId);
    b.header(HeaderId::kCSeq,
             std::to_string(cseq) + " " + (cseqMethod.empty() ? method : cseqMethod));
    if (!contact.empty()) b.header(HeaderId::kContact, contact);
    for (const auto& [n, v] : headers) b.header(n, v);
    if (!body.empty()) b.body(contentType, body);
    return b.build();
  }
};

struct ResponseOptions {
  std::string reason;
  std::string contact;  // empty: none
  Headers headers;
  std::vector<std::string> recordRoutes;
  std::string contentType = "application/sdp";
  std::string body;
};

// Response options with an SDP body (and a Contact).
inline ResponseOptions sdp(std::string body = kSdpAnswer, std::string contact = {}) {
  ResponseOptions o;
  o.body = std::move(body);
  o.contact = std::move(contact);
  return o;
}

// A response to a request trunkguard sent, written by the peer (§8.2.6.2).
inline std::string replyTo(const sip::Message& request, int code, std::string_view toTag,
                           const ResponseOptions& o = {}) {
  auto b = sip::responseTo(request, code, o.reason, toTag);
  for (const auto& r : o.recordRoutes) b.header(HeaderId::kRecordRoute, r);
  if (!o.contact.empty()) b.header(HeaderId::kContact, o.contact);
  for (const auto& [n, v] : o.headers) b.header(n, v);
  if (!o.body.empty()) b.body(o.contentType, o.body);
  return b.build();
}

// The UAC of leg A: the PBX for outbound calls, a provider for inbound ones.
struct Caller {
  Peer peer = kPbx;
  std::string ruri = "sip:+15551234567@" + kPbxListener;
  std::string fromTag = "pbx-from-1";
  std::string from = "\"Alice\" <sip:201@pbx.example.com>";
  std::string to = "<sip:+15551234567@" + kPbxListener + ">";
  std::string callId = "a-call-1@pbx.example.com";
  std::string contact = "<sip:201@127.0.0.1:5080>";
  std::string viaHost = "127.0.0.1:5080";  // sent-by
  std::string viaParams;                   // e.g. ";rport"
  std::string viaTransport = "UDP";
  std::vector<std::string> lowerVias;
  std::vector<std::string> recordRoutes;
  uint32_t inviteCseq = 101;
  uint32_t cseq = 101;  // last CSeq used
  int maxForwards = 70;
  Headers inviteHeaders;
  std::string body = kSdpOffer;
  std::string inviteBranch;
  // Learned from trunkguard's responses on leg A.
  std::string toTag;
  std::string target;  // trunkguard's Contact URI on leg A
  int branches = 0;

  std::string newBranch() {
    return "z9hG4bK-" + peer.name + "-" + callId.substr(0, callId.find('@')) + "-" +
           std::to_string(++branches);
  }
  std::string via(const std::string& branch) const {
    return "SIP/2.0/" + viaTransport + " " + viaHost + ";branch=" + branch + viaParams;
  }
  std::string fromValue() const { return from + ";tag=" + fromTag; }
  std::string toValue() const { return toTag.empty() ? to : to + ";tag=" + toTag; }

  Request invite() {
    if (inviteBranch.empty()) inviteBranch = newBranch();
    Request r;
    r.method = "INVITE";
    r.ruri = ruri;
    r.via = via(inviteBranch);
    r.lowerVias = lowerVias;
    r.from = fromValue();
    r.to = to;
    r.callId = callId;
    r.cseq = inviteCseq;
    r.contact = contact;
    r.recordRoutes = recordRoutes;
    r.maxForwards = maxForwards;
    r.headers = inviteHeaders;
    r.body = body;
    return r;
  }
  // The ACK for trunkguard's 2xx: its own transaction, sent to the Contact (§13.2.2.4).
  Request ack() {
    Request r;
    r.method = "ACK";
    r.ruri = target.empty() ? ruri : target;
    r.via = via(newBranch());
    r.from = fromValue();
    r.to = toValue();
    r.callId = callId;
    r.cseq = inviteCseq;
    return r;
  }
  // The ACK for a non-2xx final: the INVITE's branch and Request-URI (§17.1.1.3).
  Request ackNon2xx(std::string_view responseToTag) const {
    Request r;
    r.method = "ACK";
    r.ruri = ruri;
    r.via = via(inviteBranch);
    r.from = fromValue();
    r.to = to + ";tag=" + std::string(responseToTag);
    r.callId = callId;
    r.cseq = inviteCseq;
    return r;
  }
  Request cancel() const {
    Request r;
    r.method = "CANCEL";
    r.ruri = ruri;
    r.via = via(inviteBranch);
    r.from = fromValue();
    r.to = to;
    r.callId = callId;
    r.cseq = inviteCseq;
    return r;
  }
  // An in-dialog request with the next CSeq.
  Request request(std::string method) {
    Request r;
    r.method = std::move(method);
    r.ruri = target;
    r.via = via(newBranch());
    r.from = fromValue();
    r.to = toValue();
    r.callId = callId;
    r.cseq = ++cseq;
    if (r.method == "INVITE" || r.method == "UPDATE" || r.method == "REFER") r.contact = contact;
    return r;
  }
  void learn(const sip::Message& response) {
    if (!response.to()->tag().empty()) toTag = std::string(response.to()->tag());
    if (const sip::NameAddr* c = response.contact()) target = std::string(c->uri.text);
  }
};

// The UAS of leg B: a provider for outbound calls, the PBX for inbound ones.
struct Callee {
  Peer peer = kProvA;
  const sip::Message* invite = nullptr;  // the INVITE trunkguard sent (owned by the recorder)
  std::string tag = "uas-tag-1";
  std::string contact = "<sip:uas@127.0.0.1:5090>";
  uint32_t cseq = 700;  // last CSeq used on requests it sends
  int branches = 0;

  std::string respond(int code, ResponseOptions o = {}) const {
    if (code > 100 && code < 300 && o.contact.empty()) o.contact = contact;
    return replyTo(*invite, code, code > 100 ? std::string_view(tag) : std::string_view(), o);
  }
  // Unique across calls: a reused branch would match an old server transaction.
  std::string newBranch() {
    static uint64_t counter = 0;
    return "z9hG4bK-" + peer.name + "-" + tag + "-" + std::to_string(++branches) + "-" +
           std::to_string(++counter);
  }
  // An in-dialog request on the dialog its answer created.
  Request request(std::string method) {
    Request r;
    r.method = std::move(method);
    r.ruri = std::string(invite->contact()->uri.text);
    r.via = "SIP/2.0/UDP " + peer.hostPort() + ";branch=" + newBranch();
    r.from = std::string(invite->value(HeaderId::kTo)) + ";tag=" + tag;
    r.to = std::string(invite->value(HeaderId::kFrom));
    r.callId = std::string(invite->callId());
    r.cseq = ++cseq;
    if (r.method == "INVITE" || r.method == "UPDATE" || r.method == "REFER") r.contact = contact;
    return r;
  }
  // The ACK for trunkguard's 2xx to its re-INVITE with CSeq `inviteCseq`.
  Request ack(uint32_t inviteCseq) {
    Request r = request("ACK");
    --cseq;
    r.cseq = inviteCseq;
    return r;
  }
};

// --- recording Sender ------------------------------------------------------------------------

struct Sent {
  transport::SendTarget target;
  std::string bytes;
  int64_t atMs = 0;
  std::unique_ptr<sip::Message> msg;

  bool isRequest(std::string_view method) const {
    return msg->isRequest() && msg->methodText() == method;
  }
  bool isResponse(int code) const { return msg->isResponse() && msg->statusCode() == code; }
  bool to(const Peer& p) const { return target.zone == p.zone && target.address == p.address(); }
  std::string branch() const {
    return msg->topVia() != nullptr ? std::string(msg->topVia()->branch()) : std::string();
  }
  std::string cseq() const { return std::string(msg->value(HeaderId::kCSeq)); }
  std::string toTag() const { return std::string(msg->to()->tag()); }
  std::string fromTag() const { return std::string(msg->from()->tag()); }
  std::string header(HeaderId id) const { return std::string(msg->value(id)); }
  std::vector<std::string> all(HeaderId id) const {
    std::vector<std::string> out;
    msg->forEachElement(id, [&](std::string_view e) { out.emplace_back(e); });
    return out;
  }
};

class RecordingSender final : public transaction::Sender {
 public:
  explicit RecordingSender(const base::Clock& clock) : clock_(clock) {}

  void send(const transport::SendTarget& target, std::string bytes) override {
    Sent s;
    s.target = target;
    s.bytes = bytes;
    s.atMs = toMs(clock_.now());
    s.msg = parse(std::move(bytes));
    // Everything trunkguard writes must pass its own validator.
    const sip::Verdict v = sip::validate(*s.msg);
    EXPECT_TRUE(v.ok()) << v.code << " " << v.reason << "\n" << s.bytes;
    sent.push_back(std::move(s));
  }

  std::deque<Sent> sent;  // a deque: references stay valid as more is sent

 private:
  const base::Clock& clock_;
};

// --- configuration -------------------------------------------------------------------------

struct Options {
  bool pbxAllowRefer = false;
  bool trunkAllowRefer = false;
  int noAnswerTimeoutS = 180;
  int maxCallDurationS = 0;
  int healthIntervalMs = 0;
  int failuresBeforeDown = 2;
  std::string providerATransport = "udp";
  int t1Ms = 500;
  bool withProviderB = true;   // false: provider A only
  int providerBPriority = 20;  // below 10: provider B is tried first
  std::string extraYaml;       // top-level sections appended as written
};

inline std::string configYaml(const Options& o) {
  std::string y;
  y += "pbx:\n";
  y += "  listen: [ \"udp://127.0.0.1:5070\", \"tcp://127.0.0.1:5070\" ]\n";
  y += "  targets:\n";
  y += "    - { host: 127.0.0.1, port: 5080, transport: udp }\n";
  y += "  allow_refer: " + std::string(o.pbxAllowRefer ? "true" : "false") + "\n";
  y += "trunk:\n";
  y += "  listen: [ \"udp://127.0.0.1:5060\", \"tcp://127.0.0.1:5060\" ]\n";
  y += "  allow_refer: " + std::string(o.trunkAllowRefer ? "true" : "false") + "\n";
  y += "  providers:\n";
  y += "    - { name: carrier-a, host: 127.0.0.1, port: 5090, transport: " + o.providerATransport +
       ", priority: 10, allow_plaintext: true }\n";
  if (o.withProviderB) {
    y += "    - { name: carrier-b, host: 127.0.0.2, port: 5090, transport: udp, priority: " +
         std::to_string(o.providerBPriority) + ", allow_plaintext: true }\n";
  }
  y += "timers: { t1_ms: " + std::to_string(o.t1Ms) + ", t2_ms: 4000, t4_ms: 5000 }\n";
  y += "health: { interval_ms: " + std::to_string(o.healthIntervalMs) +
       ", failures_before_down: " + std::to_string(o.failuresBeforeDown) + " }\n";
  y += "b2bua:\n";
  y += "  user_agent: trunkguard\n";
  y += "  no_answer_timeout_s: " + std::to_string(o.noAnswerTimeoutS) + "\n";
  y += "  max_call_duration_s: " + std::to_string(o.maxCallDurationS) + "\n";
  y += "database: { path: \":memory:\" }\n";
  y += o.extraYaml;
  return y;
}

// --- fixture ---------------------------------------------------------------------------------

class B2buaTest : public ::testing::Test {
 protected:
  B2buaTest() : timers_(clock_), sender_(clock_) {
    // Quiet by default; TG_TEST_LOG=debug shows each call's story.
    log::Settings ls;
    const char* level = std::getenv("TG_TEST_LOG");
    ls.level = level != nullptr ? level : "off";
    log::init(ls);
    endpoints_ = {
        {Zone::kPbx, config::TransportKind::kUdp, addr("127.0.0.1", 5070)},
        {Zone::kPbx, config::TransportKind::kTcp, addr("127.0.0.1", 5070)},
        {Zone::kTrunk, config::TransportKind::kUdp, addr("127.0.0.1", 5060)},
        {Zone::kTrunk, config::TransportKind::kTcp, addr("127.0.0.1", 5060)},
    };
  }
  ~B2buaTest() override { stop(); }

  void SetUp() override { start(Options{}); }

  void stop() {
    layer_.reset();  // cancels its timers; refers to the B2BUA
    b2b_.reset();
  }

  // (Re)builds the B2BUA and the transaction layer with `o`.
  static config::ConfigPtr loadConfig(const Options& o) {
    auto loaded = config::loadConfigString(configYaml(o), "b2bua-test.yaml");
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.toString();
    return loaded.ok() ? loaded.config : nullptr;
  }

  void start(const Options& o, db::CdrStore* cdrs = nullptr) {
    stop();
    options_ = o;
    config_ = loadConfig(o);
    ASSERT_NE(config_, nullptr);
    b2b_ = std::make_unique<B2bua>(
        config_, timers_,
        [this](Zone z, config::TransportKind t) -> const transport::LocalEndpoint* {
          for (const auto& e : endpoints_) {
            if (e.zone == z && e.transport == t) return &e;
          }
          return nullptr;
        },
        cdrs);
    layer_ =
        std::make_unique<transaction::TransactionLayer>(timers_, sender_, *b2b_, config_->timers);
    b2b_->attach(*layer_, sender_);
  }

  // A temp-file CDR store (removed with the fixture's temp dir).
  db::CdrStore& cdrStore() {
    if (!cdrs_) {
      std::string pattern = (std::filesystem::temp_directory_path() / "tg-b2b-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp";
      tempDir_ = pattern;
      cdrs_ = std::make_unique<db::CdrStore>((tempDir_ / "cdr.db").string());
    }
    return *cdrs_;
  }
  void TearDown() override {
    stop();
    cdrs_.reset();
    if (!tempDir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(tempDir_, ec);
    }
  }

  // --- time ----------------------------------------------------------------------------------
  int64_t nowMs() const { return toMs(clock_.now()); }
  base::Duration t1() const { return config_->timers.t1; }

  void advance(base::Duration d, base::Duration step = 10ms) {
    while (d > base::Duration::zero()) {
      const base::Duration s = std::min(step, d);
      clock_.advance(s);
      timers_.runDue();
      if (afterStep) afterStep();
      d -= s;
    }
  }
  // Runs until no timer is pending (or `limit` has passed).
  void drain(base::Duration limit = 10min, base::Duration step = 50ms) {
    base::Duration spent{};
    timers_.runDue();
    while (timers_.pending() > 0 && spent < limit) {
      clock_.advance(step);
      timers_.runDue();
      if (afterStep) afterStep();
      spent += step;
    }
  }

  // The call is gone from the B2BUA's tables and, once every timer has run, no transaction is
  // left in the layer.
  void expectAllGone() {
    EXPECT_EQ(b2b_->callCount(), 0u);
    EXPECT_EQ(b2b_->dialogIndexSize(), 0u);
    drain();
    EXPECT_EQ(timers_.pending(), 0u);
    EXPECT_EQ(layer_->serverCount(), 0u);
    EXPECT_EQ(layer_->clientCount(), 0u);
    EXPECT_EQ(b2b_->callCount(), 0u);
    EXPECT_EQ(b2b_->dialogIndexSize(), 0u);
  }

  // --- injecting -----------------------------------------------------------------------------
  void deliver(const std::string& text, const Peer& from,
               config::TransportKind transport = config::TransportKind::kUdp,
               transport::ConnectionId connection = 0) {
    transport::Packet p;
    p.bytes = text;
    p.source = from.address();
    p.local = from.zone == Zone::kPbx ? addr("127.0.0.1", 5070) : addr("127.0.0.1", 5060);
    p.transport = transport;
    p.zone = from.zone;
    p.connection = connection;
    p.received = clock_.now();
    layer_->receive(parse(text), p);
  }
  void deliver(const Request& r, const Peer& from) { deliver(r.build(), from); }

  // --- what was sent -------------------------------------------------------------------------
  size_t mark() const { return sender_.sent.size(); }

  std::vector<const Sent*> sentTo(const Peer& p, size_t since = 0) const {
    std::vector<const Sent*> out;
    for (size_t i = since; i < sender_.sent.size(); ++i) {
      if (sender_.sent[i].to(p)) out.push_back(&sender_.sent[i]);
    }
    return out;
  }
  std::vector<const Sent*> sentToZone(Zone z, size_t since = 0) const {
    std::vector<const Sent*> out;
    for (size_t i = since; i < sender_.sent.size(); ++i) {
      if (sender_.sent[i].target.zone == z) out.push_back(&sender_.sent[i]);
    }
    return out;
  }
  std::vector<const Sent*> requestsTo(const Peer& p, std::string_view method,
                                      size_t since = 0) const {
    std::vector<const Sent*> out;
    for (const Sent* s : sentTo(p, since)) {
      if (s->isRequest(method)) out.push_back(s);
    }
    return out;
  }
  std::vector<const Sent*> responsesTo(const Peer& p, int code, size_t since = 0) const {
    std::vector<const Sent*> out;
    for (const Sent* s : sentTo(p, since)) {
      if (s->isResponse(code)) out.push_back(s);
    }
    return out;
  }
  // Final (>= 200) responses sent to p.
  std::vector<const Sent*> finalsTo(const Peer& p, size_t since = 0) const {
    std::vector<const Sent*> out;
    for (const Sent* s : sentTo(p, since)) {
      if (s->msg->isResponse() && s->msg->statusCode() >= 200) out.push_back(s);
    }
    return out;
  }
  // Distinct transactions (by top Via branch) of `method` sent to p.
  std::set<std::string> branchesTo(const Peer& p, std::string_view method, size_t since = 0) const {
    std::set<std::string> out;
    for (const Sent* s : requestsTo(p, method, since)) out.insert(s->branch());
    return out;
  }
  const Sent* lastRequestTo(const Peer& p, std::string_view method, size_t since = 0) const {
    auto v = requestsTo(p, method, since);
    return v.empty() ? nullptr : v.back();
  }
  const Sent* lastResponseTo(const Peer& p, int code, size_t since = 0) const {
    auto v = responsesTo(p, code, since);
    return v.empty() ? nullptr : v.back();
  }
  // Every response code sent to p, in order.
  std::vector<int> codesTo(const Peer& p, size_t since = 0) const {
    std::vector<int> out;
    for (const Sent* s : sentTo(p, since)) {
      if (s->msg->isResponse()) out.push_back(s->msg->statusCode());
    }
    return out;
  }

  // --- common call steps -----------------------------------------------------------------------

  // The default caller of an outbound call (the PBX) and of an inbound one (provider A).
  static Caller pbxCaller(std::string callId = "a-call-1@pbx.example.com") {
    Caller c;
    c.callId = std::move(callId);
    return c;
  }
  static Caller providerCaller(const Peer& provider = kProvA,
                               std::string callId = "in-call-1@carrier.example") {
    Caller c;
    c.peer = provider;
    c.ruri = "sip:+493012345678@" + kTrunkListener;
    c.from = "<sip:+15550001111@carrier.example>";
    c.fromTag = "carrier-from-1";
    c.to = "<sip:+493012345678@" + kTrunkListener + ">";
    c.callId = std::move(callId);
    c.contact = "<sip:+15550001111@" + provider.hostPort() + ">";
    c.viaHost = provider.hostPort();
    c.inviteCseq = c.cseq = 20;
    return c;
  }

  // Delivers the caller's INVITE and returns the B leg's INVITE sent to `expectedPeer` (nullptr
  // with a test failure when none went out).
  const Sent* sendInvite(Caller& a, const Peer& expectedPeer = kProvA) {
    const size_t m = mark();
    deliver(a.invite(), a.peer);
    const Sent* inv = lastRequestTo(expectedPeer, "INVITE", m);
    EXPECT_NE(inv, nullptr) << "no INVITE to " << expectedPeer.name;
    return inv;
  }
  Callee calleeFor(const Sent* invite, const Peer& peer = kProvA, std::string tag = "uas-tag-1") {
    Callee b;
    b.peer = peer;
    b.invite = invite != nullptr ? invite->msg.get() : nullptr;
    b.tag = std::move(tag);
    b.contact = "<sip:uas@" + peer.hostPort() + ">";
    return b;
  }
  // Callee answers `code`; returns what was relayed to the caller with that code (or nullptr).
  const Sent* calleeSends(Caller& a, Callee& b, int code, ResponseOptions o = {}) {
    const size_t m = mark();
    deliver(b.respond(code, std::move(o)), b.peer);
    const Sent* r = lastResponseTo(a.peer, code, m);
    if (r != nullptr) a.learn(*r->msg);
    return r;
  }
  // A's ACK for the 2xx; returns the ACK sent on B (or nullptr).
  const Sent* callerAcks(Caller& a, const Peer& bPeer) {
    const size_t m = mark();
    deliver(a.ack(), a.peer);
    return lastRequestTo(bPeer, "ACK", m);
  }

  struct Established {
    Caller a;
    Callee b;
  };
  // INVITE, 180, 200 (SDP), ACK: a confirmed call between `a` and the first provider (or PBX).
  Established establish(Caller a, const Peer& bPeer = kProvA) {
    Established c{std::move(a), {}};
    const Sent* inv = sendInvite(c.a, bPeer);
    c.b = calleeFor(inv, bPeer);
    if (inv == nullptr) return c;
    EXPECT_NE(calleeSends(c.a, c.b, 180), nullptr);
    ResponseOptions ok;
    ok.body = kSdpAnswer;
    EXPECT_NE(calleeSends(c.a, c.b, 200, ok), nullptr);
    EXPECT_NE(callerAcks(c.a, bPeer), nullptr);
    return c;
  }
  Established establishOutbound() { return establish(pbxCaller(), kProvA); }
  Established establishInbound() { return establish(providerCaller(), kPbx); }

  // The peer answers a request trunkguard sent it (e.g. BYE) with `code`.
  void reply(const Sent* request, const Peer& peer, int code, ResponseOptions o = {},
             std::string_view toTag = {}) {
    ASSERT_NE(request, nullptr);
    deliver(replyTo(*request->msg, code, toTag, o), peer);
  }

  base::ManualClock clock_;
  base::TimerQueue timers_;
  RecordingSender sender_;
  std::vector<transport::LocalEndpoint> endpoints_;
  // Health pings: answers 200 to every OPTIONS sent to one of `answering_` since the last call
  // (tests call it from afterStep).
  void answerPings() {
    for (; answered_ < sender_.sent.size(); ++answered_) {
      const Sent& s = sender_.sent[answered_];
      if (!s.isRequest("OPTIONS")) continue;
      for (const Peer* p : answering_) {
        if (s.to(*p)) deliver(replyTo(*s.msg, 200, "ping-" + p->name), *p);
      }
    }
  }
  std::vector<const Peer*> answering_;
  size_t answered_ = 0;

  Options options_;
  config::ConfigPtr config_;
  std::unique_ptr<B2bua> b2b_;
  std::unique_ptr<transaction::TransactionLayer> layer_;
  std::unique_ptr<db::CdrStore> cdrs_;
  std::filesystem::path tempDir_;
  std::function<void()> afterStep;
};

}  // namespace tg::b2bua::testing
