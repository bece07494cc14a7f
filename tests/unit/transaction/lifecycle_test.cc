// Transport errors (§17.1.4), re-entrancy from user callbacks, and the end of every transaction.

#include <gtest/gtest.h>

#include "txn_test_util.h"

namespace tg::transaction::testing {
namespace {

using Times = std::vector<int64_t>;

class LifecycleTest : public TransactionTest {};

transport::Packet fromTrunk() { return udpPacket("203.0.113.10", 5060, transport::Zone::kTrunk); }

// --- onSendError (§17.1.4) -------------------------------------------------------------------

TEST_F(LifecycleTest, SendErrorFailsCallingAndTryingTransactionsToThatAddressOnly) {
  const auto x = udpTarget("203.0.113.10", 5060);
  const auto y = udpTarget("203.0.113.20", 5060);
  startClient(ourRequest("INVITE", "z9hG4bKa1"), x, 1);
  startClient(ourRequest("INVITE", "z9hG4bKa2"), x, 2);
  startClient(ourRequest("OPTIONS", "z9hG4bKa3"), x, 3);
  startClient(ourRequest("INVITE", "z9hG4bKa4"), y, 4);            // other address
  startClient(ourRequest("INVITE", "z9hG4bKa5"), tcpTarget(), 5);  // same address, TCP
  const RequestSpec ringing = ourRequest("INVITE", "z9hG4bKa6");
  startClient(ringing, x, 6);
  deliver(responseTo(buildRequest(ringing), 180), fromTrunk());  // Proceeding: delivered
  EXPECT_EQ(layer_->clientCount(), 6u);

  advanceTo(100);
  layer_->onSendError(x);
  std::set<uint64_t> failed;
  for (const Event* e : user_.of(Ev::kClientFailure)) {
    EXPECT_TRUE(e->transportError);
    EXPECT_EQ(e->atMs, 100);
    failed.insert(e->owner);
  }
  EXPECT_EQ(failed, (std::set<uint64_t>{1, 2, 3}));
  EXPECT_EQ(user_.count(Ev::kClientFailure), 3u);
  EXPECT_EQ(layer_->clientCount(), 3u);
  EXPECT_EQ(user_.count(Ev::kTerminated), 3u);

  // The failed ones are gone: no more retransmissions from them, no Timer B/F later.
  const auto sentTo = [&](std::string_view branch) {
    size_t n = 0;
    for (const Sent& s : sender_.sent) {
      if (s.msg->isRequest() && s.msg->topVia()->branch() == branch) ++n;
    }
    return n;
  };
  advanceTo(40000, 100ms);
  EXPECT_EQ(sentTo("z9hG4bKa1"), 1u);
  EXPECT_EQ(sentTo("z9hG4bKa3"), 1u);
  EXPECT_GT(sentTo("z9hG4bKa4"), 1u);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 3u + 2u);  // Timer B for 4 and 5
  for (const Event* e : user_.of(Ev::kClientFailure)) {
    if (e->owner == 4 || e->owner == 5) {
      EXPECT_FALSE(e->transportError);
    }
  }
}

TEST_F(LifecycleTest, SendErrorForAnUnknownAddressDoesNothing) {
  startClient(ourRequest(), udpTarget());
  layer_->onSendError(udpTarget("198.51.100.99", 5060));
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  EXPECT_EQ(layer_->clientCount(), 1u);
}

TEST_F(LifecycleTest, UserMayStartANewTransactionFromOnClientFailure) {
  // Failover: the first provider does not answer (Timer B), the user tries the second.
  const RequestSpec second = ourRequest("INVITE", "z9hG4bKsecond");
  user_.onClientFailureHook = [&](ClientTransaction& ct, bool) {
    if (ct.ownerId == 1) {
      ClientTransaction& next =
          user_.track(layer_->request(buildRequest(second), second.branch, sip::Method::kInvite,
                                      udpTarget("203.0.113.20", 5060), nullptr, 2));
      EXPECT_EQ(next.state(), State::kCalling);
    }
  };
  startClient(ourRequest("INVITE", "z9hG4bKfirst"), udpTarget(), 1);
  advanceTo(32000);
  ASSERT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_EQ(layer_->clientCount(), 1u);
  ASSERT_FALSE(sender_.sent.empty());
  EXPECT_EQ(sender_.last().target.address, addr("203.0.113.20", 5060));
  EXPECT_EQ(sender_.last().msg->topVia()->branch(), "z9hG4bKsecond");
  // The new transaction runs its own Timer A from 32 s.
  advanceTo(33600);
  Times second_sends;
  for (const Sent& s : sender_.sent) {
    if (s.msg->isRequest() && s.msg->topVia()->branch() == "z9hG4bKsecond") {
      second_sends.push_back(s.atMs);
    }
  }
  EXPECT_EQ(second_sends, (Times{32000, 32500, 33500}));
  deliver(responseTo(buildRequest(second), 200), udpPacket("203.0.113.20", 5060));
  ASSERT_EQ(user_.countResponses(200), 1u);
  EXPECT_EQ(user_.lastOf(Ev::kResponse)->owner, 2u);
  drain();
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_TRUE(user_.live.empty());
}

TEST_F(LifecycleTest, UserMayStartANewTransactionFromOnResponse) {
  // A 503 from the first provider: the user fails over from inside onResponse.
  const RequestSpec first = ourRequest("INVITE", "z9hG4bKfirst");
  const RequestSpec second = ourRequest("INVITE", "z9hG4bKsecond");
  const RequestSpec bye = ourRequest("BYE", "z9hG4bKbye");
  user_.onResponseHook = [&](ClientTransaction& ct, const sip::Message& r) {
    if (ct.ownerId == 1 && r.statusCode() == 503) {
      user_.track(layer_->request(buildRequest(second), second.branch, sip::Method::kInvite,
                                  udpTarget("203.0.113.20", 5060), nullptr, 2));
    }
    if (ct.ownerId == 2 && r.statusCode() == 200) {  // e.g. a BYE after a crossing CANCEL
      user_.track(layer_->request(buildRequest(bye), bye.branch, sip::Method::kBye,
                                  udpTarget("203.0.113.20", 5060), nullptr, 3));
    }
  };
  startClient(first, udpTarget(), 1);
  advanceTo(100);
  deliver(responseTo(buildRequest(first), 503), fromTrunk());
  EXPECT_EQ(sender_.requests("ACK").size(), 1u) << "the 503 is still ACKed";
  EXPECT_EQ(layer_->clientCount(), 2u);
  advanceTo(700);
  EXPECT_EQ(sender_.requests("INVITE").size(), 3u);  // first, second, second's Timer A
  deliver(responseTo(buildRequest(second), 200), udpPacket("203.0.113.20", 5060));
  EXPECT_EQ(layer_->clientCount(), 3u);
  EXPECT_EQ(sender_.requests("BYE").size(), 1u);
  deliver(responseTo(buildRequest(bye), 200), udpPacket("203.0.113.20", 5060));
  EXPECT_EQ(user_.lastOf(Ev::kResponse)->owner, 3u);
  drain();
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_TRUE(user_.live.empty());
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(LifecycleTest, UserMayStartANewTransactionFromAnOnSendErrorFailure) {
  const RequestSpec second = ourRequest("OPTIONS", "z9hG4bKretry");
  user_.onClientFailureHook = [&](ClientTransaction& ct, bool transportError) {
    if (transportError && ct.ownerId == 1) {
      user_.track(layer_->request(buildRequest(second), second.branch, sip::Method::kOptions,
                                  udpTarget(), nullptr,
                                  2));  // same address: not failed by this error
    }
  };
  startClient(ourRequest("OPTIONS", "z9hG4bKfirst"), udpTarget(), 1);
  layer_->onSendError(udpTarget());
  EXPECT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_EQ(layer_->clientCount(), 1u);
  drain();
  EXPECT_EQ(user_.count(Ev::kClientFailure), 2u);  // Timer F for the retry
  EXPECT_EQ(layer_->clientCount(), 0u);
}

// --- nothing leaks ------------------------------------------------------------------------------

TEST_F(LifecycleTest, AMixOfEveryFlowEndsWithEmptyTablesAndNoTimers) {
  // Server side: INVITE 2xx + ACK, INVITE 2xx without ACK, INVITE 486 + ACK, INVITE 486 without
  // ACK, INVITE cancelled + 487 + ACK, OPTIONS, CANCEL for nothing, 2543 INVITE.
  int n = 0;
  auto spec = [&](std::string method = "INVITE") {
    RequestSpec s;
    s.method = std::move(method);
    s.branch = "z9hG4bKmix" + std::to_string(++n);
    s.callId = "mix-" + std::to_string(n) + "@10.0.0.5";
    return s;
  };
  const RequestSpec a = spec();
  ServerTransaction& sa = receiveInvite(a);
  respond(sa, 200, "ta");
  deliver(ackFor2xx(a, "ta", "z9hG4bKmixack"), udpPacket());
  const RequestSpec b = spec();
  respond(receiveInvite(b), 200, "tb");
  const RequestSpec c = spec();
  respond(receiveInvite(c), 486, "tc");
  deliver(ackForNon2xx(c, "tc"), udpPacket());
  const RequestSpec d = spec();
  respond(receiveInvite(d), 486, "td");
  const RequestSpec e = spec();
  ServerTransaction& se = receiveInvite(e);
  user_.onCancelHook = [this](ServerTransaction& inv) { respond(inv, 487); };
  RequestSpec ec = e;
  ec.method = "CANCEL";
  ec.cseqMethod = "CANCEL";
  deliver(buildRequest(ec), udpPacket());
  deliver(ackForNon2xx(e, se.localTag()), udpPacket());
  const RequestSpec f = spec("OPTIONS");
  deliver(buildRequest(f), udpPacket());
  respond(*user_.lastServer, 200);
  RequestSpec g = spec("CANCEL");
  deliver(buildRequest(g), udpPacket());
  RequestSpec h = spec();
  h.branch = "";
  respond(receiveInvite(h), 480, "th");

  // Client side: INVITE timeout, INVITE 200, INVITE 486, OPTIONS timeout, OPTIONS 200, BYE via
  // TCP, and an INVITE failed by the transport.
  startClient(ourRequest("INVITE", "z9hG4bKc1"), udpTarget(), 11);
  const RequestSpec c2 = ourRequest("INVITE", "z9hG4bKc2");
  startClient(c2, udpTarget(), 12);
  deliver(responseTo(buildRequest(c2), 200), fromTrunk());
  const RequestSpec c3 = ourRequest("INVITE", "z9hG4bKc3");
  startClient(c3, udpTarget(), 13);
  deliver(responseTo(buildRequest(c3), 180), fromTrunk());
  deliver(responseTo(buildRequest(c3), 486), fromTrunk());
  startClient(ourRequest("OPTIONS", "z9hG4bKc4"), udpTarget(), 14);
  const RequestSpec c5 = ourRequest("OPTIONS", "z9hG4bKc5");
  startClient(c5, udpTarget(), 15);
  deliver(responseTo(buildRequest(c5), 200), fromTrunk());
  const RequestSpec c6 = ourRequest("BYE", "z9hG4bKc6");
  startClient(c6, tcpTarget(), 16);
  deliver(responseTo(buildRequest(c6), 200), tcpPacket("203.0.113.10", 5060, 3));
  startClient(ourRequest("INVITE", "z9hG4bKc7"), udpTarget("203.0.113.77", 5060), 17);
  layer_->onSendError(udpTarget("203.0.113.77", 5060));

  EXPECT_GT(layer_->serverCount(), 0u);
  EXPECT_GT(layer_->clientCount(), 0u);
  drain();
  EXPECT_EQ(layer_->serverCount(), 0u);
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_EQ(timers_.pending(), 0u);
  EXPECT_TRUE(user_.live.empty()) << "every transaction got exactly one onTerminated";
  EXPECT_EQ(user_.count(Ev::kTerminated),
            layer_->stats().serverCreated + layer_->stats().clientCreated);
  EXPECT_EQ(user_.count(Ev::kAckTimeout), 1u);     // b
  EXPECT_EQ(user_.count(Ev::kClientFailure), 3u);  // c1, c4 timeouts; c7 transport
  EXPECT_EQ(layer_->stats().clientTimeouts, 2u);
}

TEST_F(LifecycleTest, GraveyardIsEmptiedWhenTheUserKeepsNoPointers) {
  // A user that does nothing but count: it drops every reference at once.
  struct Forgetful final : TransactionUser {
    int terminated = 0;
    void onRequest(ServerTransaction&) override {}
    void onCancel(ServerTransaction&) override {}
    void onAck(ServerTransaction&, const sip::Message&, const transport::Packet&) override {}
    void onStrayAck(const sip::Message&, const transport::Packet&) override {}
    void onAckTimeout(ServerTransaction&) override {}
    void onResponse(ClientTransaction&, const sip::Message&) override {}
    void onClientFailure(ClientTransaction&, bool) override {}
    void onStrayResponse(const sip::Message&, const transport::Packet&) override {}
    void onTerminated(Transaction&) override { ++terminated; }
  } forgetful;
  TransactionLayer layer(timers_, sender_, forgetful, timerSettings_);
  for (int i = 0; i < 50; ++i) {
    RequestSpec s;
    s.method = i % 2 ? "OPTIONS" : "INVITE";
    s.branch = "z9hG4bKforget" + std::to_string(i);
    auto m = parse(buildRequest(s));
    layer.receive(std::move(m), udpPacket());
    RequestSpec c = ourRequest(i % 2 ? "OPTIONS" : "INVITE", "z9hG4bKfc" + std::to_string(i));
    layer.request(buildRequest(c), c.branch, sip::methodFromName(c.method), udpTarget(), nullptr);
    layer.onSendError(udpTarget());  // terminates the client one right away
  }
  EXPECT_EQ(layer.clientCount(), 0u);
  EXPECT_EQ(forgetful.terminated, 50);
  advance(10ms);  // the graveyard is emptied on the next timer run; ASan checks the rest
  EXPECT_EQ(layer.serverCount(), 50u);
}

TEST_F(LifecycleTest, DestroyingTheLayerWithLiveTransactionsCancelsTheirTimers) {
  const RequestSpec spec;
  ServerTransaction& st = receiveInvite(spec);
  respond(st, 200);
  startClient(ourRequest(), udpTarget());
  startClient(ourRequest("OPTIONS", "z9hG4bKopt"), udpTarget());
  layer_->onSendError(udpTarget("203.0.113.99", 1));  // no-op
  RequestSpec c = ourRequest("BYE", "z9hG4bKbye");
  startClient(c, udpTarget());
  layer_->onSendError(udpTarget());  // three terminated into the graveyard, bury pending
  EXPECT_GT(timers_.pending(), 0u);
  layer_.reset();
  EXPECT_EQ(timers_.pending(), 0u) << "no timer may outlive the layer";
  const size_t sent = sender_.sent.size();
  const size_t events = user_.events.size();
  advance(60s, 100ms);
  EXPECT_EQ(sender_.sent.size(), sent);
  EXPECT_EQ(user_.events.size(), events);
  makeLayer();  // the fixture expects a layer
}

TEST_F(LifecycleTest, TerminatedTransactionsStayValidDuringTheCallbackThatEndsThem) {
  // Timer B: the ClientTransaction& given to onClientFailure is still readable, and the
  // onTerminated that follows sees it too; it is destroyed only afterwards.
  std::string seenKey;
  user_.onClientFailureHook = [&](ClientTransaction& ct, bool) {
    seenKey = ct.key();
    EXPECT_EQ(ct.requestBytes().substr(0, 6), "INVITE");
  };
  startClient(ourRequest(), udpTarget());
  advanceTo(32000);
  EXPECT_EQ(seenKey, "z9hG4bKtg000001|INVITE");
  EXPECT_TRUE(user_.terminatedKeys.contains(seenKey));
}

TEST_F(LifecycleTest, AnOwnedClientTransactionReportsToItsOwnerOnly) {
  CountingOwner owner;
  const RequestSpec answered = ourRequest("OPTIONS", "z9hG4bKowned1");
  const RequestSpec silent = ourRequest("OPTIONS", "z9hG4bKowned2");
  layer_->request(buildRequest(answered), answered.branch, sip::Method::kOptions, udpTarget(),
                  &owner, 7, 1);
  layer_->request(buildRequest(silent), silent.branch, sip::Method::kOptions, udpTarget(), &owner,
                  7, 2);
  deliver(responseTo(buildRequest(answered), 200), fromTrunk());
  drain();
  EXPECT_EQ(owner.events, (std::vector<std::string>{"response 200 tag 1", "terminated", "failure",
                                                    "terminated"}));
  EXPECT_EQ(user_.count(Ev::kResponse), 0u);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  EXPECT_EQ(user_.count(Ev::kTerminated), 0u);
}

}  // namespace
}  // namespace tg::transaction::testing
