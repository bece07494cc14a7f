// The offer/answer hook (b2bua/offer_answer.h): every body that crosses between legs goes
// through it, as an offer or an answer, from the leg it left.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

// Rewrites each body it is handed and lists what it saw.
class RewritingBodies final : public OfferAnswerProcessor {
 public:
  std::optional<std::string> offer(const Call& call, Side from, SessionBody body) override {
    seen.push_back(describe("offer", call, from, body));
    return "offer-rewritten-" + std::to_string(seen.size());
  }
  std::optional<std::string> answer(const Call& call, Side from, SessionBody body) override {
    seen.push_back(describe("answer", call, from, body));
    return "answer-rewritten-" + std::to_string(seen.size());
  }
  std::vector<std::string> seen;

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
