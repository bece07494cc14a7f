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
    return BodyDecision::replace("answer-rewritten-" + std::to_string(seen.size()));
  }
  std::vector<std::string> seen;
  bool refuseOffers = false;

 private:
  static std::string describe(std::string_view kind, const Call& call, Side from,
                              SessionBody body) {
    return std::string(kind) + (from == Side::kA ? " from A" : " from B") + " of " +
           std::string(directionName(call.direction)) + " (" + std::string(body.contentType) +
           (body.content.empty() ? ", empty)" : ")");
  }
};

class OfferAnswerTest : public B2buaTest {
 protected:
  RewritingBodies bodies_;
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
