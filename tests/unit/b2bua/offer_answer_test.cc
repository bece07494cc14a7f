// The offer/answer hook (b2bua/offer_answer.h): every body that crosses between legs goes
// through it, as an offer or an answer, from the leg it left.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

// Rewrites each body it is handed and lists what it saw.
class RewritingBodies final : public OfferAnswerProcessor {
 public:
  BodyDecision offer(const Call& call, Side from, SessionBody body) override {
    seen.push_back(describe("offer", call, from, body));
    if (refuseOffers) return BodyDecision::refuse("no \"media\" ports free");
    return BodyDecision::replace("offer-rewritten-" + std::to_string(seen.size()));
  }
  BodyDecision answer(const Call& call, Side from, SessionBody body) override {
    seen.push_back(describe("answer", call, from, body));
    if (refuseAnswers) return BodyDecision::refuse("no allowed codec in the answer");
    return BodyDecision::replace("answer-rewritten-" + std::to_string(seen.size()));
  }
  std::vector<std::string> seen;
  bool refuseOffers = false;
  bool refuseAnswers = false;

 private:
  static std::string describe(std::string_view kind, const Call& call, Side from,
                              SessionBody body) {
    return std::string(kind) + (from == Side::kA ? " from A" : " from B") + " of " +
           std::string(directionName(call.direction)) + " (" + std::string(body.contentType) +
           (body.content.empty() ? ", empty)" : ")");
  }
};

// Keeps the record of every ended call.
class EndedCalls final : public CallObserver {
 public:
  void onEnded(const CallRecord& call) override { records.push_back(call); }
  std::vector<CallRecord> records;
};

class OfferAnswerTest : public B2buaTest {
 protected:
  RewritingBodies bodies_;
  EndedCalls ended_;
};

TEST_F(OfferAnswerTest, TheOfferAndTheAnswerOfACallCrossThroughTheProcessor) {
  b2b_->setOfferAnswer(&bodies_);
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->msg->body(), "offer-rewritten-1");
  EXPECT_EQ(inv->header(HeaderId::kContentType), "application/sdp");

  Callee b = calleeFor(inv);
  const Sent* ok = calleeSends(a, b, 200, sdp(kSdpAnswer));
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->msg->body(), "answer-rewritten-2");
  EXPECT_EQ(bodies_.seen,
            (std::vector<std::string>{"offer from A of outbound (application/sdp)",
                                      "answer from B of outbound (application/sdp)"}));
}

TEST_F(OfferAnswerTest, AReInviteFromBIsAnOfferFromBAndItsAnswerComesFromA) {
  b2b_->setOfferAnswer(&bodies_);
  Established c = establishOutbound();
  bodies_.seen.clear();
  Request reinvite = c.b.request("INVITE");
  reinvite.body = kSdpOffer;
  const size_t m = mark();
  deliver(reinvite, kProvA);
  const Sent* relayed = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(relayed, nullptr);
  EXPECT_EQ(relayed->msg->body(), "offer-rewritten-1");
  reply(relayed, kPbx, 200, sdp(kSdpAnswer, c.a.contact));
  const Sent* ok = lastResponseTo(kProvA, 200, m);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->msg->body(), "answer-rewritten-2");
  EXPECT_EQ(bodies_.seen,
            (std::vector<std::string>{"offer from B of outbound (application/sdp)",
                                      "answer from A of outbound (application/sdp)"}));
}

TEST_F(OfferAnswerTest, ARefusedInitialOfferIs488WithAWarningAndNoBLeg) {
  b2b_->setOfferAnswer(&bodies_);
  bodies_.refuseOffers = true;
  Caller a = pbxCaller();
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_EQ(lastRequestTo(kProvA, "INVITE", m), nullptr);
  const Sent* refused = lastResponseTo(kPbx, 488, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->header(HeaderId::kWarning), "399 127.0.0.1 \"no media ports free\"");
  EXPECT_EQ(b2b_->callCount(), 0u);
}

TEST_F(OfferAnswerTest, ARefusedReInviteIs488AndNothingCrosses) {
  b2b_->setOfferAnswer(&bodies_);
  Established c = establishOutbound();
  bodies_.refuseOffers = true;
  Request reinvite = c.b.request("INVITE");
  reinvite.body = kSdpOffer;
  const size_t m = mark();
  deliver(reinvite, kProvA);
  EXPECT_EQ(lastRequestTo(kPbx, "INVITE", m), nullptr);
  const Sent* refused = lastResponseTo(kProvA, 488, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->header(HeaderId::kWarning).find("no media ports free"), std::string::npos);
  EXPECT_EQ(b2b_->callCount(), 1u);  // the call goes on with its session as it was
  // The next re-INVITE is relayed: the refused one left no transaction pending.
  bodies_.refuseOffers = false;
  Request next = c.b.request("INVITE");
  next.body = kSdpOffer;
  const size_t m2 = mark();
  deliver(next, kProvA);
  EXPECT_NE(lastRequestTo(kPbx, "INVITE", m2), nullptr);
}

// The callee's 200 carries a description the gateway refuses: no half call. B's dialog is
// ACKed and ended with a BYE, A gets 488 with the Warning, the record fails with the reason.
TEST_F(OfferAnswerTest, ARefusedAnswerIn2xxIsAckedAndByedOnBAnd488OnA) {
  b2b_->setOfferAnswer(&bodies_);
  b2b_->addObserver(&ended_);
  bodies_.refuseAnswers = true;
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  const size_t m = mark();
  deliver(b.respond(200, sdp(kSdpAnswer)), b.peer);
  EXPECT_EQ(lastResponseTo(kPbx, 200, m), nullptr);
  const Sent* refused = lastResponseTo(kPbx, 488, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->header(HeaderId::kWarning),
            "399 127.0.0.1 \"no allowed codec in the answer\"");
  const Sent* ack = lastRequestTo(kProvA, "ACK", m);
  ASSERT_NE(ack, nullptr);
  EXPECT_TRUE(ack->msg->body().empty());
  EXPECT_EQ(ack->toTag(), b.tag);
  const Sent* bye = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->toTag(), b.tag);
  EXPECT_EQ(b2b_->callCount(), 0u);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].disposition, Disposition::kFailed);
  EXPECT_EQ(ended_.records[0].sipCode, 488);
  EXPECT_EQ(ended_.records[0].endReason, "media: no allowed codec in the answer");
  // A retransmitted 2xx is ACKed again, and no second BYE goes out.
  const size_t m2 = mark();
  deliver(b.respond(200, sdp(kSdpAnswer)), b.peer);
  EXPECT_NE(lastRequestTo(kProvA, "ACK", m2), nullptr);
  EXPECT_EQ(lastRequestTo(kProvA, "BYE", m2), nullptr);
  reply(bye, kProvA, 200);
  deliver(a.ackNon2xx(refused->toTag()), kPbx);
  expectAllGone();
}

// The callee's 183 carries a description the gateway refuses: B's early dialog is cancelled
// and A gets 488; B's 487 ends the leg.
TEST_F(OfferAnswerTest, ARefusedAnswerInEarlyMediaCancelsBAnd488OnA) {
  b2b_->setOfferAnswer(&bodies_);
  b2b_->addObserver(&ended_);
  bodies_.refuseAnswers = true;
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  const size_t m = mark();
  deliver(b.respond(183, sdp(kSdpAnswer)), b.peer);
  EXPECT_EQ(lastResponseTo(kPbx, 183, m), nullptr);
  const Sent* refused = lastResponseTo(kPbx, 488, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->header(HeaderId::kWarning).find("no allowed codec in the answer"),
            std::string::npos);
  const Sent* cancel = lastRequestTo(kProvA, "CANCEL", m);
  ASSERT_NE(cancel, nullptr);
  reply(cancel, kProvA, 200);
  deliver(b.respond(487), b.peer);
  deliver(a.ackNon2xx(refused->toTag()), kPbx);
  EXPECT_EQ(b2b_->callCount(), 0u);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].disposition, Disposition::kFailed);
  EXPECT_EQ(ended_.records[0].sipCode, 488);
  EXPECT_EQ(ended_.records[0].endReason, "media: no allowed codec in the answer");
  expectAllGone();
}

TEST_F(OfferAnswerTest, WithoutAProcessorBodiesCrossUnchanged) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->msg->body(), kSdpOffer);
  Callee b = calleeFor(inv);
  const Sent* ok = calleeSends(a, b, 200, sdp(kSdpAnswer));
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->msg->body(), kSdpAnswer);
}

}  // namespace
}  // namespace tg::b2bua::testing

namespace tg::b2bua::testing {
namespace {

// A re-INVITE's 200 carries an answer the gateway refuses: as for the initial INVITE, it never
// crosses without its body. The requester gets 488 with the Warning, the answerer's 200 is
// ACKed, and the call ends with a BYE on both legs.
TEST_F(OfferAnswerTest, ARefusedAnswerInAReInvites2xxIs488AndTheCallEnds) {
  b2b_->setOfferAnswer(&bodies_);
  b2b_->addObserver(&ended_);
  Established c = establishOutbound();
  bodies_.refuseAnswers = true;
  Request reinvite = c.b.request("INVITE");
  reinvite.body = kSdpOffer;
  const size_t m = mark();
  deliver(reinvite, kProvA);
  const Sent* relayed = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(relayed, nullptr);
  reply(relayed, kPbx, 200, sdp(kSdpAnswer, c.a.contact));
  EXPECT_EQ(lastResponseTo(kProvA, 200, m), nullptr);
  const Sent* refused = lastResponseTo(kProvA, 488, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->header(HeaderId::kWarning),
            "399 127.0.0.1 \"no allowed codec in the answer\"");
  const Sent* ack = lastRequestTo(kPbx, "ACK", m);
  ASSERT_NE(ack, nullptr);
  EXPECT_TRUE(ack->msg->body().empty());
  EXPECT_NE(lastRequestTo(kPbx, "BYE", m), nullptr);
  EXPECT_NE(lastRequestTo(kProvA, "BYE", m), nullptr);
  EXPECT_EQ(b2b_->callCount(), 0u);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].sipCode, 488);
  EXPECT_EQ(ended_.records[0].endReason, "media: no allowed codec in the answer");
}

// A late offer: the re-INVITE has no body, the 200 carries the offer and the ACK the answer,
// which the gateway refuses. The 200 is ACKed (without a body) and the call ends on both legs.
TEST_F(OfferAnswerTest, ARefusedAnswerInTheAckOfALateOfferEndsTheCall) {
  b2b_->setOfferAnswer(&bodies_);
  b2b_->addObserver(&ended_);
  Established c = establishOutbound();
  Request reinvite = c.b.request("INVITE");
  const size_t m = mark();
  deliver(reinvite, kProvA);
  const Sent* relayed = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(relayed, nullptr);
  reply(relayed, kPbx, 200, sdp(kSdpOffer, c.a.contact));
  const Sent* ok = lastResponseTo(kProvA, 200, m);
  ASSERT_NE(ok, nullptr);
  bodies_.refuseAnswers = true;
  Request ack = c.b.ack(reinvite.cseq);
  ack.body = kSdpAnswer;
  const size_t m2 = mark();
  deliver(ack, kProvA);
  const Sent* relayedAck = lastRequestTo(kPbx, "ACK", m2);
  ASSERT_NE(relayedAck, nullptr);
  EXPECT_TRUE(relayedAck->msg->body().empty());
  EXPECT_NE(lastRequestTo(kPbx, "BYE", m2), nullptr);
  EXPECT_NE(lastRequestTo(kProvA, "BYE", m2), nullptr);
  EXPECT_EQ(b2b_->callCount(), 0u);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].endReason, "media: no allowed codec in the answer");
}

}  // namespace
}  // namespace tg::b2bua::testing
