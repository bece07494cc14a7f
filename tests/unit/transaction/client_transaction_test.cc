// Client transactions (RFC 3261 §17.1, RFC 6026 §8.4) on simulated time.

#include <gtest/gtest.h>

#include "txn_test_util.h"

namespace tg::transaction::testing {
namespace {

using Times = std::vector<int64_t>;

class ClientInviteTest : public TransactionTest {};
class ClientNonInviteTest : public TransactionTest {};

transport::Packet fromTrunk() { return udpPacket("203.0.113.10", 5060, transport::Zone::kTrunk); }

// --- INVITE over UDP: Timer A, Timer B (§17.1.1.2) ----------------------------------------------

TEST_F(ClientInviteTest, FirstSendIsImmediateAndExact) {
  const RequestSpec spec = ourRequest();
  ClientTransaction& ct = startClient(spec, udpTarget(), 77, 3);
  EXPECT_EQ(ct.kind(), Kind::kClientInvite);
  EXPECT_EQ(ct.state(), State::kCalling);
  EXPECT_EQ(ct.ownerId, 77u);
  EXPECT_EQ(ct.ownerTag, 3u);
  EXPECT_FALSE(ct.reliable());
  EXPECT_FALSE(ct.receivedProvisional());
  EXPECT_EQ(ct.method(), sip::Method::kInvite);
  EXPECT_EQ(layer_->clientCount(), 1u);
  EXPECT_EQ(layer_->stats().clientCreated, 1u);
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0].atMs, 0);
  EXPECT_EQ(sender_.sent[0].bytes, buildRequest(spec));
  EXPECT_EQ(sender_.sent[0].target.address, udpTarget().address);
  EXPECT_EQ(sender_.sent[0].target.transport, config::TransportKind::kUdp);
  EXPECT_EQ(sender_.sent[0].target.zone, transport::Zone::kTrunk);
}

TEST_F(ClientInviteTest, TimerARetransmitsAtT1DoublingUntilTimerB) {
  const RequestSpec spec = ourRequest();
  startClient(spec, udpTarget());
  advanceTo(31990);
  // Sent at 0, then Timer A at T1, 2T1, 4T1, ... : 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
  EXPECT_EQ(sender_.requestTimes("INVITE"), (Times{0, 500, 1500, 3500, 7500, 15500, 31500}));
  for (const Sent* s : sender_.requests("INVITE")) {
    EXPECT_EQ(s->bytes, buildRequest(spec)) << "a retransmission must be the same request";
    EXPECT_EQ(s->target.address, udpTarget().address);
  }
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  EXPECT_EQ(layer_->clientCount(), 1u);
  EXPECT_EQ(layer_->stats().retransmissionsSent, 6u);
}

TEST_F(ClientInviteTest, TimerBFiresAt64T1WithTimeoutAndTheTransactionIsGone) {
  startClient(ourRequest(), udpTarget(), 9);
  advanceTo(31990);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  advanceTo(32000);
  ASSERT_EQ(user_.count(Ev::kClientFailure), 1u);
  const Event* f = user_.lastOf(Ev::kClientFailure);
  EXPECT_EQ(f->atMs, 32000);
  EXPECT_FALSE(f->transportError);
  EXPECT_EQ(f->owner, 9u);
  EXPECT_EQ(f->kind, Kind::kClientInvite);
  EXPECT_EQ(user_.count(Ev::kTerminated), 1u);
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_EQ(layer_->stats().clientTimeouts, 1u);
  // Nothing is sent after Timer B, and no callback repeats.
  const size_t sent = sender_.sent.size();
  advanceTo(200000, 100ms);
  EXPECT_EQ(sender_.sent.size(), sent);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_EQ(timers_.pending(), 0u);
  EXPECT_TRUE(user_.live.empty());
}

TEST_F(ClientInviteTest, TimerAIsNotCappedAtT2AndFollowsConfiguredT1) {
  setTimers(100ms, 400ms, 1000ms);
  startClient(ourRequest(), udpTarget());
  advanceTo(6390);
  // Intervals 100, 200, 400, 800, 1600, 3200: Timer A doubles without the T2 cap (§17.1.1.2).
  EXPECT_EQ(sender_.requestTimes("INVITE"), (Times{0, 100, 300, 700, 1500, 3100, 6300}));
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  advanceTo(6400);  // Timer B = 64*T1
  EXPECT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_EQ(layer_->clientCount(), 0u);
}

TEST_F(ClientInviteTest, ProvisionalStopsRetransmissionsAndTimerB) {
  const RequestSpec spec = ourRequest();
  ClientTransaction& ct = startClient(spec, udpTarget());
  advanceTo(700);
  deliver(responseTo(buildRequest(spec), 100), fromTrunk());
  EXPECT_EQ(ct.state(), State::kProceeding);
  EXPECT_TRUE(ct.receivedProvisional());
  EXPECT_EQ(ct.lastStatus(), 100);
  EXPECT_EQ(user_.countResponses(100), 1u);
  advanceTo(120000, 100ms);
  EXPECT_EQ(sender_.requestTimes("INVITE"), (Times{0, 500}));
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u) << "Timer B only runs in Calling";
  EXPECT_EQ(layer_->clientCount(), 1u);
  EXPECT_EQ(ct.state(), State::kProceeding);
}

TEST_F(ClientInviteTest, EveryProvisionalIsPassedToTheUser) {
  const RequestSpec spec = ourRequest();
  ClientTransaction& ct = startClient(spec, udpTarget());
  const std::string inv = buildRequest(spec);
  deliver(responseTo(inv, 100), fromTrunk());
  deliver(responseTo(inv, 180), fromTrunk());
  deliver(responseTo(inv, 183), fromTrunk());
  deliver(responseTo(inv, 180), fromTrunk());
  EXPECT_EQ(user_.countResponses(100), 1u);
  EXPECT_EQ(user_.countResponses(180), 2u);
  EXPECT_EQ(user_.countResponses(183), 1u);
  EXPECT_EQ(ct.lastStatus(), 180);
  EXPECT_EQ(ct.state(), State::kProceeding);
}

// --- INVITE 2xx: Accepted, Timer M (RFC 6026 §8.4) --------------------------------------------

TEST_F(ClientInviteTest, TwoHundredAcceptsAndEveryRetransmissionReachesTheUser) {
  const RequestSpec spec = ourRequest();
  const std::string inv = buildRequest(spec);
  ClientTransaction& ct = startClient(spec, udpTarget());
  advanceTo(200);
  deliver(responseTo(inv, 180), fromTrunk());
  advanceTo(1000);
  deliver(responseTo(inv, 200), fromTrunk());
  EXPECT_EQ(ct.state(), State::kAccepted);
  EXPECT_EQ(ct.lastStatus(), 200);
  EXPECT_EQ(user_.countResponses(200), 1u);
  advanceTo(2000);
  deliver(responseTo(inv, 200), fromTrunk());
  advanceTo(5000);
  deliver(responseTo(inv, 200), fromTrunk());
  EXPECT_EQ(user_.countResponses(200), 3u) << "the ACK for a 2xx is the TU's: it needs each one";
  EXPECT_TRUE(sender_.requests("ACK").empty()) << "the transaction never ACKs a 2xx";
  EXPECT_EQ(sender_.requests("INVITE").size(), 1u);
  EXPECT_EQ(user_.count(Ev::kStray), 0u);
}

TEST_F(ClientInviteTest, TwoHundredInCallingStopsTimerA) {
  const RequestSpec spec = ourRequest();
  startClient(spec, udpTarget());
  advanceTo(600);
  deliver(responseTo(buildRequest(spec), 200), fromTrunk());
  advanceTo(40000, 100ms);
  EXPECT_EQ(sender_.requestTimes("INVITE"), (Times{0, 500}));
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
}

TEST_F(ClientInviteTest, TimerMCleansUpAcceptedAfter64T1AndLaterTwoHundredsAreStray) {
  const RequestSpec spec = ourRequest();
  const std::string inv = buildRequest(spec);
  startClient(spec, udpTarget());
  advanceTo(1000);
  deliver(responseTo(inv, 200), fromTrunk());
  advanceTo(1000 + 32000 - 10);
  EXPECT_EQ(layer_->clientCount(), 1u);
  deliver(responseTo(inv, 200), fromTrunk());  // still inside Accepted
  EXPECT_EQ(user_.countResponses(200), 2u);
  advanceTo(1000 + 32000);
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_EQ(user_.count(Ev::kTerminated), 1u);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u) << "Timer M is not a failure";
  deliver(responseTo(inv, 200), fromTrunk());
  EXPECT_EQ(user_.countResponses(200), 2u);
  ASSERT_EQ(user_.count(Ev::kStray), 1u);
  EXPECT_EQ(user_.lastOf(Ev::kStray)->status, 200);
  EXPECT_EQ(layer_->stats().strayResponses, 1u);
}

// --- INVITE non-2xx: ACK (§17.1.1.3), Timer D -------------------------------------------------

TEST_F(ClientInviteTest, BusyIsAckedWithTheHeadersOf17_1_1_3) {
  RequestSpec spec = ourRequest();
  spec.routes = {"<sip:edge1.trunk.example.net;lr>", "<sip:edge2.trunk.example.net;lr>"};
  const std::string inv = buildRequest(spec);
  ClientTransaction& ct = startClient(spec, udpTarget());
  advanceTo(100);
  deliver(responseTo(inv, 180, "busy-tag"), fromTrunk());
  advanceTo(1000);
  const std::string busy = responseTo(inv, 486, "busy-tag");
  deliver(busy, fromTrunk());

  EXPECT_EQ(ct.state(), State::kCompleted);
  EXPECT_EQ(ct.lastStatus(), 486);
  EXPECT_EQ(user_.countResponses(486), 1u);
  const auto acks = sender_.requests("ACK");
  ASSERT_EQ(acks.size(), 1u);
  const Sent& ackSent = *acks[0];
  EXPECT_EQ(ackSent.atMs, 1000);
  EXPECT_EQ(ackSent.target.address, udpTarget().address);
  EXPECT_EQ(ackSent.target.transport, config::TransportKind::kUdp);
  EXPECT_EQ(ackSent.target.zone, transport::Zone::kTrunk);

  const sip::Message& ack = *ackSent.msg;
  auto invite = parse(inv);
  auto response = parse(busy);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.requestUriText(), spec.ruri) << "same Request-URI as the INVITE";
  EXPECT_EQ(ack.count(sip::HeaderId::kVia), 1u) << "a single Via";
  EXPECT_EQ(ack.value(sip::HeaderId::kVia), invite->value(sip::HeaderId::kVia))
      << "equal to the INVITE's top Via";
  ASSERT_NE(ack.topVia(), nullptr);
  EXPECT_EQ(ack.topVia()->branch(), spec.branch);
  EXPECT_EQ(ack.value(sip::HeaderId::kFrom), invite->value(sip::HeaderId::kFrom));
  EXPECT_EQ(ack.value(sip::HeaderId::kTo), response->value(sip::HeaderId::kTo))
      << "the To of the response, with its tag";
  ASSERT_NE(ack.to(), nullptr);
  EXPECT_EQ(ack.to()->tag(), "busy-tag");
  EXPECT_EQ(ack.callId(), spec.callId);
  ASSERT_NE(ack.cseq(), nullptr);
  EXPECT_EQ(ack.cseq()->number, spec.cseq);
  EXPECT_EQ(ack.cseq()->methodText, "ACK");
  std::vector<std::string> routes;
  ack.forEachElement(sip::HeaderId::kRoute, [&](std::string_view r) { routes.emplace_back(r); });
  EXPECT_EQ(routes, spec.routes) << "the INVITE's Route set, in order";
  EXPECT_TRUE(ack.maxForwards().has_value());
  EXPECT_TRUE(ack.body().empty());
}

TEST_F(ClientInviteTest, RetransmittedBusyResendsTheAckButIsNotPassedOnAgain) {
  const RequestSpec spec = ourRequest();
  const std::string inv = buildRequest(spec);
  startClient(spec, udpTarget());
  advanceTo(1000);
  const std::string busy = responseTo(inv, 486, "busy-tag");
  deliver(busy, fromTrunk());
  advanceTo(2000);
  deliver(busy, fromTrunk());
  advanceTo(6000);
  deliver(busy, fromTrunk());
  const auto acks = sender_.requests("ACK");
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[1]->bytes, acks[0]->bytes);
  EXPECT_EQ(acks[2]->bytes, acks[0]->bytes);
  EXPECT_EQ(acks[1]->atMs, 2000);
  EXPECT_EQ(user_.countResponses(486), 1u);
  EXPECT_GE(layer_->stats().retransmissionsAbsorbed, 2u);
  // The ACK is only resent in answer to a retransmission, never on a timer.
  advanceTo(30000, 100ms);
  EXPECT_EQ(sender_.requests("ACK").size(), 3u);
  EXPECT_EQ(sender_.requests("INVITE").size(), 2u);  // 0 and 500 (Timer A before the 486)
}

TEST_F(ClientInviteTest, TimerDCleansUpCompletedAfter32Seconds) {
  const RequestSpec spec = ourRequest();
  startClient(spec, udpTarget());
  advanceTo(1000);
  deliver(responseTo(buildRequest(spec), 503), fromTrunk());
  advanceTo(1000 + 32000 - 10, 100ms);
  EXPECT_EQ(layer_->clientCount(), 1u);
  advanceTo(1000 + 32000);
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  EXPECT_EQ(user_.count(Ev::kTerminated), 1u);
  // After Timer D a retransmitted final matches nothing.
  deliver(responseTo(buildRequest(spec), 503), fromTrunk());
  EXPECT_EQ(user_.count(Ev::kStray), 1u);
  EXPECT_EQ(sender_.requests("ACK").size(), 1u);
}

TEST_F(ClientInviteTest, FinalAfter2xxOrSecondFinalIsIgnored) {
  const RequestSpec spec = ourRequest();
  const std::string inv = buildRequest(spec);
  ClientTransaction& ct = startClient(spec, udpTarget());
  deliver(responseTo(inv, 200), fromTrunk());
  deliver(responseTo(inv, 486), fromTrunk());
  deliver(responseTo(inv, 180), fromTrunk());
  EXPECT_EQ(ct.state(), State::kAccepted);
  EXPECT_TRUE(sender_.requests("ACK").empty());
  EXPECT_EQ(user_.countResponses(486), 0u);
  EXPECT_EQ(user_.countResponses(180), 0u);
}

// --- reliable transports (§17.1.1.2, §17.1.2.2) --------------------------------------------------

TEST_F(ClientInviteTest, TcpNeverRetransmitsButTimerBStillFires) {
  startClient(ourRequest(), tcpTarget());
  advanceTo(31990, 100ms);
  EXPECT_EQ(sender_.requests("INVITE").size(), 1u);
  EXPECT_EQ(sender_.sent[0].target.transport, config::TransportKind::kTcp);
  EXPECT_EQ(layer_->stats().retransmissionsSent, 0u);
  advanceTo(32000);
  ASSERT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_FALSE(user_.lastOf(Ev::kClientFailure)->transportError);
  EXPECT_EQ(layer_->clientCount(), 0u);
}

TEST_F(ClientInviteTest, TcpNon2xxIsAckedOnceAndTimerDIsZero) {
  const RequestSpec spec = ourRequest();
  startClient(spec, tcpTarget());
  deliver(responseTo(buildRequest(spec), 486), tcpPacket("203.0.113.10", 5060, 7));
  ASSERT_EQ(sender_.requests("ACK").size(), 1u);
  EXPECT_EQ(sender_.requests("ACK")[0]->target.transport, config::TransportKind::kTcp);
  EXPECT_EQ(user_.countResponses(486), 1u);
  advance(10ms);
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_EQ(sender_.requests("INVITE").size(), 1u);
}

TEST_F(ClientNonInviteTest, TcpNeverRetransmitsTimerFFiresAndTimerKIsZero) {
  startClient(ourRequest("OPTIONS", "z9hG4bKtgopt01"), tcpTarget());
  advanceTo(31990, 100ms);
  EXPECT_EQ(sender_.requests("OPTIONS").size(), 1u);
  advanceTo(32000);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_EQ(layer_->clientCount(), 0u);

  const RequestSpec bye = ourRequest("BYE", "z9hG4bKtgbye01");
  ClientTransaction& ct = startClient(bye, tcpTarget());
  advanceTo(33000);
  deliver(responseTo(buildRequest(bye), 200), tcpPacket("203.0.113.10", 5060, 7));
  EXPECT_EQ(ct.state(), State::kCompleted);
  EXPECT_EQ(user_.countResponses(200), 1u);
  advance(10ms);
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_EQ(sender_.requests("BYE").size(), 1u);
}

// --- non-INVITE over UDP: Timer E, F, K (§17.1.2.2) ---------------------------------------------

TEST_F(ClientNonInviteTest, TimerEDoublesUpToT2ThenTimerF) {
  const RequestSpec spec = ourRequest("OPTIONS", "z9hG4bKtgopt01");
  ClientTransaction& ct = startClient(spec, udpTarget());
  EXPECT_EQ(ct.kind(), Kind::kClientNonInvite);
  EXPECT_EQ(ct.state(), State::kTrying);
  advanceTo(31990);
  // Intervals T1, 2T1, 4T1, then T2 (4 s) until Timer F.
  EXPECT_EQ(sender_.requestTimes("OPTIONS"),
            (Times{0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  advanceTo(32000);
  ASSERT_EQ(user_.count(Ev::kClientFailure), 1u);
  EXPECT_FALSE(user_.lastOf(Ev::kClientFailure)->transportError);
  EXPECT_EQ(user_.lastOf(Ev::kClientFailure)->kind, Kind::kClientNonInvite);
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_EQ(layer_->stats().clientTimeouts, 1u);
  advanceTo(60000, 100ms);
  EXPECT_EQ(sender_.requests("OPTIONS").size(), 11u);
}

TEST_F(ClientNonInviteTest, AfterAProvisionalRetransmitsEveryT2UntilTimerF) {
  const RequestSpec spec = ourRequest("OPTIONS", "z9hG4bKtgopt01");
  ClientTransaction& ct = startClient(spec, udpTarget());
  advanceTo(1600);
  deliver(responseTo(buildRequest(spec), 100), fromTrunk());
  EXPECT_EQ(ct.state(), State::kProceeding);
  EXPECT_EQ(user_.countResponses(100), 1u);
  advanceTo(31990);
  Times after;
  for (int64_t t : sender_.requestTimes("OPTIONS")) {
    if (t > 1600) after.push_back(t);
  }
  ASSERT_GE(after.size(), 5u);
  EXPECT_LE(after[0] - 1600, 4000) << "the next retransmission comes within T2";
  for (size_t i = 1; i < after.size(); ++i) {
    EXPECT_EQ(after[i] - after[i - 1], 4000)
        << "Proceeding: Timer E is reset to T2 (i=" << i << ")";
  }
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  advanceTo(32000);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 1u) << "Timer F still runs in Proceeding";
  EXPECT_EQ(layer_->clientCount(), 0u);
}

TEST_F(ClientNonInviteTest, FinalCompletesAbsorbsRetransmissionsAndTimerKCleansUp) {
  const RequestSpec spec = ourRequest("OPTIONS", "z9hG4bKtgopt01");
  const std::string req = buildRequest(spec);
  ClientTransaction& ct = startClient(spec, udpTarget(), 5);
  advanceTo(700);
  deliver(responseTo(req, 200), fromTrunk());
  EXPECT_EQ(ct.state(), State::kCompleted);
  EXPECT_EQ(ct.lastStatus(), 200);
  ASSERT_EQ(user_.countResponses(200), 1u);
  EXPECT_EQ(user_.lastOf(Ev::kResponse)->owner, 5u);
  const size_t sent = sender_.sent.size();
  advanceTo(800);
  deliver(responseTo(req, 200), fromTrunk());
  deliver(responseTo(req, 200), fromTrunk());
  EXPECT_EQ(user_.countResponses(200), 1u) << "retransmitted final is absorbed";
  EXPECT_EQ(sender_.sent.size(), sent) << "nothing is sent in answer (no ACK for non-INVITE)";
  EXPECT_EQ(layer_->stats().retransmissionsAbsorbed, 2u);
  advanceTo(700 + 5000 - 10);  // Timer K = T4
  EXPECT_EQ(layer_->clientCount(), 1u);
  EXPECT_EQ(sender_.requestTimes("OPTIONS"), (Times{0, 500})) << "no retransmission once Completed";
  advanceTo(700 + 5000);
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
  deliver(responseTo(req, 200), fromTrunk());
  EXPECT_EQ(user_.count(Ev::kStray), 1u);
}

TEST_F(ClientNonInviteTest, FinalAfterProvisionalAndTimerKFollowsT4) {
  setTimers(500ms, 4000ms, 2000ms);
  const RequestSpec spec = ourRequest("REGISTER", "z9hG4bKtgreg01");
  const std::string req = buildRequest(spec);
  ClientTransaction& ct = startClient(spec, udpTarget());
  deliver(responseTo(req, 100), fromTrunk());
  advanceTo(3000);
  deliver(responseTo(req, 401), fromTrunk());
  EXPECT_EQ(ct.state(), State::kCompleted);
  EXPECT_EQ(user_.countResponses(100), 1u);
  EXPECT_EQ(user_.countResponses(401), 1u);
  deliver(responseTo(req, 100), fromTrunk());  // a late provisional is not passed on
  EXPECT_EQ(user_.countResponses(100), 1u);
  advanceTo(4990);
  EXPECT_EQ(layer_->clientCount(), 1u);
  advanceTo(5000);
  EXPECT_EQ(layer_->clientCount(), 0u);
}

// --- matching (§17.1.3) -----------------------------------------------------------------------

TEST_F(ClientInviteTest, ResponsesMatchingNothingAreStray) {
  const RequestSpec spec = ourRequest();
  startClient(spec, udpTarget());
  // Unknown branch.
  RequestSpec other = spec;
  other.branch = "z9hG4bKnobodyknows";
  deliver(responseTo(buildRequest(other), 180), fromTrunk());
  // Right branch, other CSeq method: the method is part of the key.
  RequestSpec bye = spec;
  bye.method = "BYE";
  deliver(responseTo(buildRequest(bye), 200), fromTrunk());
  ASSERT_EQ(user_.count(Ev::kStray), 2u);
  EXPECT_EQ(user_.of(Ev::kStray)[0]->status, 180);
  EXPECT_EQ(user_.of(Ev::kStray)[1]->status, 200);
  EXPECT_EQ(user_.count(Ev::kResponse), 0u);
  EXPECT_EQ(layer_->stats().strayResponses, 2u);
  // The real transaction is untouched: still retransmitting.
  advanceTo(600);
  EXPECT_EQ(sender_.requests("INVITE").size(), 2u);
}

TEST_F(ClientInviteTest, CancelIsItsOwnClientTransactionOnTheSameBranch) {
  const RequestSpec spec = ourRequest();
  const std::string inv = buildRequest(spec);
  ClientTransaction& ict = startClient(spec, udpTarget(), 1, 10);
  deliver(responseTo(inv, 180), fromTrunk());
  RequestSpec cancel = spec;
  cancel.method = "CANCEL";
  ClientTransaction& cct = startClient(cancel, udpTarget(), 1, 11);
  EXPECT_EQ(cct.kind(), Kind::kClientNonInvite);
  EXPECT_NE(cct.key(), ict.key());
  EXPECT_EQ(layer_->clientCount(), 2u);
  deliver(responseTo(buildRequest(cancel), 200), fromTrunk());
  ASSERT_EQ(user_.countResponses(200), 1u);
  EXPECT_EQ(user_.lastOf(Ev::kResponse)->ownerTag, 11u);
  EXPECT_EQ(ict.state(), State::kProceeding);
  deliver(responseTo(inv, 487), fromTrunk());
  EXPECT_EQ(user_.lastOf(Ev::kResponse)->ownerTag, 10u);
  EXPECT_EQ(user_.lastOf(Ev::kResponse)->status, 487);
  EXPECT_EQ(sender_.requests("ACK").size(), 1u);
  drain();
  EXPECT_EQ(layer_->clientCount(), 0u);
  EXPECT_TRUE(user_.live.empty());
}

// RFC 3261 §9.1: "If there is no final response for the original request in 64*T1 seconds [after
// the CANCEL], the client SHOULD then consider the original transaction cancelled and SHOULD
// destroy the client transaction handling the original request." The INVITE client transaction
// has no timer once Proceeding (Timer B is stopped by the 1xx), and the layer offers the TU no way
// to end it, so a peer that answers 180 and then never sends a final response (an RFC 2543 UAS
// that ignores the CANCEL, or a hostile one) keeps the transaction forever.
// KNOWN BUG (reported): this test fails until the layer arms a 64*T1 timer on the INVITE when a
// CANCEL is started for its branch.
TEST_F(ClientInviteTest, CancelledInviteWithoutFinalIsDestroyedAfter64T1) {
  const RequestSpec spec = ourRequest();
  const std::string inv = buildRequest(spec);
  ClientTransaction& ict = startClient(spec, udpTarget());
  const std::string inviteKey = ict.key();
  advanceTo(1000);
  deliver(responseTo(inv, 180), fromTrunk());
  advanceTo(5000);
  RequestSpec cancel = spec;
  cancel.method = "CANCEL";
  startClient(cancel, udpTarget());
  advanceTo(5100);
  deliver(responseTo(buildRequest(cancel), 200), fromTrunk());
  // No 487 ever comes.
  advanceTo(5000 + 32000 + 1000, 100ms);
  EXPECT_TRUE(user_.terminatedKeys.contains(inviteKey))
      << "the cancelled INVITE client transaction is still alive 64*T1 after the CANCEL";
  EXPECT_EQ(layer_->clientCount(), 0u);
}

TEST_F(ClientInviteTest, BranchCollisionTerminatesTheOlderTransaction) {
  const RequestSpec spec = ourRequest();
  startClient(spec, udpTarget(), 1);
  ClientTransaction& newer = startClient(spec, udpTarget(), 2);
  EXPECT_EQ(layer_->clientCount(), 1u);
  ASSERT_EQ(user_.count(Ev::kTerminated), 1u);
  EXPECT_EQ(user_.lastOf(Ev::kTerminated)->owner, 1u);
  deliver(responseTo(buildRequest(spec), 180), fromTrunk());
  ASSERT_EQ(user_.count(Ev::kResponse), 1u);
  EXPECT_EQ(user_.lastOf(Ev::kResponse)->owner, 2u);
  EXPECT_EQ(newer.state(), State::kProceeding);
  // The older transaction's timers are gone: only the newer one retransmitted (none, it is
  // Proceeding), and no Timer B fires for the older one.
  advanceTo(40000, 100ms);
  EXPECT_EQ(sender_.requests("INVITE").size(), 2u);
  EXPECT_EQ(user_.count(Ev::kClientFailure), 0u);
}

TEST_F(ClientInviteTest, NewBranchHasTheMagicCookieAndIsUnique) {
  const std::string a = TransactionLayer::newBranch();
  const std::string b = TransactionLayer::newBranch();
  EXPECT_TRUE(a.starts_with("z9hG4bK"));
  EXPECT_GT(a.size(), 7u + 8u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace tg::transaction::testing
