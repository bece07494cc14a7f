// In-dialog requests (B2BUA.md "In-dialog requests"): relayed with the other leg's Call-ID,
// tags, next CSeq and remote target; responses go back with the original CSeq; re-INVITE glare
// is 491; REFER is refused unless the zone allows it; unknown dialogs are 481.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class InDialogTest : public B2buaTest {};

TEST_F(InDialogTest, ReinviteFromAIsRelayedAndItsAckCrosses) {
  Established c = establishOutbound();
  const std::string bCallId(c.b.invite->callId());
  const std::string bFromTag(c.b.invite->from()->tag());

  size_t m = mark();
  Request reinvite = c.a.request("INVITE");  // CSeq 102
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{100});
  const Sent* onB = lastRequestTo(kProvA, "INVITE", m);
  ASSERT_NE(onB, nullptr);
  EXPECT_EQ(onB->msg->callId(), bCallId);
  EXPECT_EQ(onB->fromTag(), bFromTag);
  EXPECT_EQ(onB->toTag(), c.b.tag);
  EXPECT_EQ(onB->header(HeaderId::kCSeq), "2 INVITE") << "B leg's next CSeq";
  EXPECT_EQ(std::string(onB->msg->requestUriText()), "sip:uas@127.0.0.1:5090");
  EXPECT_EQ(uriOf(onB->header(HeaderId::kContact)), "sip:trunkguard@" + kTrunkListener);
  EXPECT_EQ(onB->msg->body(), kSdpReoffer);
  EXPECT_EQ(onB->target.address, kProvA.address());

  // B answers; A gets the 200 with its own CSeq.
  m = mark();
  reply(onB, kProvA, 200, sdp(kSdpAnswer, "<sip:uas-moved@127.0.0.1:5090>"));
  auto ok = responsesTo(kPbx, 200, m);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0]->header(HeaderId::kCSeq), "102 INVITE");
  EXPECT_EQ(ok[0]->msg->callId(), c.a.callId);
  EXPECT_EQ(ok[0]->toTag(), c.a.toTag);
  EXPECT_EQ(ok[0]->msg->from()->tag(), c.a.fromTag);
  EXPECT_EQ(ok[0]->msg->body(), kSdpAnswer);
  EXPECT_EQ(uriOf(ok[0]->header(HeaderId::kContact)), "sip:trunkguard@" + kPbxListener);

  // A's ACK for the re-INVITE's 200 crosses with B's CSeq.
  m = mark();
  Request ack = c.a.ack();
  ack.cseq = reinvite.cseq;
  deliver(ack, kPbx);
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->header(HeaderId::kCSeq), "2 ACK");
  EXPECT_EQ(acks[0]->msg->callId(), bCallId);
  EXPECT_EQ(acks[0]->toTag(), c.b.tag);
  // Target refresh (§12.2.1.2): the re-INVITE's 2xx Contact is B's new remote target.
  EXPECT_EQ(std::string(acks[0]->msg->requestUriText()), "sip:uas-moved@127.0.0.1:5090");

  // The next request on B uses the next CSeq and the refreshed target.
  m = mark();
  deliver(c.a.request("BYE"), kPbx);
  const Sent* bye = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->header(HeaderId::kCSeq), "3 BYE");
  EXPECT_EQ(std::string(bye->msg->requestUriText()), "sip:uas-moved@127.0.0.1:5090");
  reply(bye, kProvA, 200);
  expectAllGone();
}

TEST_F(InDialogTest, ReinviteFromBIsRelayedToA) {
  Established c = establishOutbound();
  size_t m = mark();
  Request reinvite = c.b.request("INVITE");  // CSeq 701
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kProvA);
  const Sent* onA = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(onA, nullptr);
  EXPECT_EQ(onA->msg->callId(), c.a.callId);
  EXPECT_EQ(onA->fromTag(), c.a.toTag) << "our tag on leg A";
  EXPECT_EQ(onA->toTag(), c.a.fromTag);
  EXPECT_EQ(onA->msg->cseq()->number, 1u) << "our first request on leg A";
  EXPECT_EQ(std::string(onA->msg->requestUriText()), "sip:201@127.0.0.1:5080");
  EXPECT_EQ(uriOf(onA->header(HeaderId::kContact)), "sip:trunkguard@" + kPbxListener);
  EXPECT_EQ(onA->msg->body(), kSdpReoffer);
  EXPECT_EQ(onA->target.address, kPbx.address());
  EXPECT_EQ(onA->target.zone, Zone::kPbx);

  m = mark();
  reply(onA, kPbx, 200, sdp(kSdpAnswer, c.a.contact));
  auto ok = responsesTo(kProvA, 200, m);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0]->header(HeaderId::kCSeq), "701 INVITE");
  EXPECT_EQ(ok[0]->msg->callId(), std::string(c.b.invite->callId()));
  EXPECT_EQ(ok[0]->toTag(), std::string(c.b.invite->from()->tag()));
  EXPECT_EQ(ok[0]->msg->body(), kSdpAnswer);
  EXPECT_EQ(uriOf(ok[0]->header(HeaderId::kContact)), "sip:trunkguard@" + kTrunkListener);

  m = mark();
  deliver(c.b.ack(reinvite.cseq), kProvA);
  auto acks = requestsTo(kPbx, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->header(HeaderId::kCSeq), "1 ACK");
  EXPECT_EQ(acks[0]->msg->callId(), c.a.callId);

  // Our next request on A uses CSeq 2.
  m = mark();
  deliver(c.b.request("BYE"), kProvA);
  const Sent* bye = lastRequestTo(kPbx, "BYE", m);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->msg->cseq()->number, 2u);
  reply(bye, kPbx, 200);
  expectAllGone();
}

TEST_F(InDialogTest, RetransmittedReinviteAnswerIsReAcked) {
  Established c = establishOutbound();
  Request reinvite = c.a.request("INVITE");
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE");
  ASSERT_NE(onB, nullptr);
  ResponseOptions ok = sdp(kSdpAnswer, c.b.contact);
  reply(onB, kProvA, 200, ok);
  Request ack = c.a.ack();
  ack.cseq = reinvite.cseq;
  deliver(ack, kPbx);
  ASSERT_EQ(requestsTo(kProvA, "ACK").size(), 2u);  // the initial one and this one
  const std::string sentAck = requestsTo(kProvA, "ACK").back()->bytes;
  const size_t m = mark();
  reply(onB, kProvA, 200, ok);  // B did not get it
  auto acks = requestsTo(kProvA, "ACK", m);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->bytes, sentAck);
  EXPECT_TRUE(responsesTo(kPbx, 200, m).empty());
}

// An ACK whose CSeq number is not its INVITE's (RFC 3261 §17.1.1.3) is not that INVITE's ACK:
// it is dropped, not relayed, and the right one still goes through (issue 21).
TEST_F(InDialogTest, AckWithAnotherCseqThanItsInviteIsDropped) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a, kProvA);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv, kProvA);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  ASSERT_NE(calleeSends(a, b, 200, ok), nullptr);
  size_t m = mark();
  Request wrong = a.ack();
  wrong.cseq += 7;
  deliver(wrong, kPbx);
  EXPECT_TRUE(requestsTo(kProvA, "ACK", m).empty());
  m = mark();
  deliver(a.ack(), kPbx);
  EXPECT_EQ(requestsTo(kProvA, "ACK", m).size(), 1u);

  // The same for a re-INVITE's ACK.
  Request reinvite = a.request("INVITE");
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE");
  ASSERT_NE(onB, nullptr);
  reply(onB, kProvA, 200, sdp(kSdpAnswer, b.contact));
  m = mark();
  Request late = a.ack();
  late.cseq = reinvite.cseq + 1;
  deliver(late, kPbx);
  EXPECT_TRUE(requestsTo(kProvA, "ACK", m).empty());
  Request right = a.ack();
  right.cseq = reinvite.cseq;
  deliver(right, kPbx);
  EXPECT_EQ(requestsTo(kProvA, "ACK", m).size(), 1u);
}

TEST_F(InDialogTest, ReinviteGlareIsAnswered491) {
  Established c = establishOutbound();
  Request first = c.a.request("INVITE");
  first.body = kSdpReoffer;
  deliver(first, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE");
  ASSERT_NE(onB, nullptr);

  // B re-INVITEs while ours is pending.
  size_t m = mark();
  Request fromB = c.b.request("INVITE");
  fromB.body = kSdpReoffer;
  deliver(fromB, kProvA);
  auto glare = responsesTo(kProvA, 491, m);
  ASSERT_EQ(glare.size(), 1u);
  EXPECT_EQ(glare[0]->header(HeaderId::kCSeq), std::to_string(fromB.cseq) + " INVITE");
  EXPECT_TRUE(requestsTo(kPbx, "INVITE", m).empty());

  // A sends a second re-INVITE while the first is pending.
  m = mark();
  Request second = c.a.request("INVITE");
  second.body = kSdpReoffer;
  deliver(second, kPbx);
  auto glareA = responsesTo(kPbx, 491, m);
  ASSERT_EQ(glareA.size(), 1u);
  EXPECT_EQ(glareA[0]->header(HeaderId::kCSeq), std::to_string(second.cseq) + " INVITE");
  EXPECT_EQ(glareA[0]->toTag(), c.a.toTag);
  EXPECT_TRUE(requestsTo(kProvA, "INVITE", m).empty());

  // The first one completes; then a new re-INVITE goes through.
  reply(onB, kProvA, 200, sdp(kSdpAnswer, c.b.contact));
  Request ack = c.a.ack();
  ack.cseq = first.cseq;
  deliver(ack, kPbx);
  m = mark();
  Request third = c.a.request("INVITE");
  third.body = kSdpReoffer;
  deliver(third, kPbx);
  EXPECT_NE(lastRequestTo(kProvA, "INVITE", m), nullptr);
  EXPECT_EQ(b2b_->callCount(), 1u);
}

TEST_F(InDialogTest, ReinviteRejectedByBIsRelayedAndTheCallStays) {
  Established c = establishOutbound();
  Request reinvite = c.a.request("INVITE");
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE");
  ASSERT_NE(onB, nullptr);
  const size_t m = mark();
  reply(onB, kProvA, 488);
  EXPECT_EQ(requestsTo(kProvA, "ACK", m).size(), 1u) << "the client transaction ACKs the 488";
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 488);
  EXPECT_EQ(finals[0]->header(HeaderId::kCSeq), std::to_string(reinvite.cseq) + " INVITE");
  // A's ACK for the 488 is absorbed by A's server transaction: it does not cross.
  Request ack = reinvite;  // the ACK for a non-2xx: the INVITE's branch (§17.1.1.3)
  ack.method = "ACK";
  ack.contact.clear();
  ack.body.clear();
  deliver(ack, kPbx);
  EXPECT_EQ(requestsTo(kProvA, "ACK", m).size(), 1u);
  EXPECT_EQ(b2b_->callCount(), 1u);
  // A new re-INVITE is allowed again.
  const size_t m2 = mark();
  deliver(c.a.request("INVITE"), kPbx);
  EXPECT_NE(lastRequestTo(kProvA, "INVITE", m2), nullptr);
}

TEST_F(InDialogTest, InfoUpdateAndOptionsAreRelayed) {
  Established c = establishOutbound();
  const std::string bCallId(c.b.invite->callId());
  uint32_t expectedCseq = 1;

  // INFO from A with a DTMF body.
  size_t m = mark();
  Request info = c.a.request("INFO");
  info.contentType = "application/dtmf-relay";
  info.body = "Signal=5\r\nDuration=160\r\n";
  deliver(info, kPbx);
  const Sent* infoB = lastRequestTo(kProvA, "INFO", m);
  ASSERT_NE(infoB, nullptr);
  EXPECT_EQ(infoB->msg->callId(), bCallId);
  EXPECT_EQ(infoB->header(HeaderId::kCSeq), std::to_string(++expectedCseq) + " INFO");
  EXPECT_EQ(infoB->header(HeaderId::kContentType), "application/dtmf-relay");
  EXPECT_EQ(infoB->msg->body(), info.body);
  EXPECT_EQ(infoB->toTag(), c.b.tag);
  reply(infoB, kProvA, 200);
  auto infoOk = responsesTo(kPbx, 200, m);
  ASSERT_EQ(infoOk.size(), 1u);
  EXPECT_EQ(infoOk[0]->header(HeaderId::kCSeq), std::to_string(info.cseq) + " INFO");
  EXPECT_EQ(infoOk[0]->msg->callId(), c.a.callId);

  // UPDATE from B.
  m = mark();
  Request update = c.b.request("UPDATE");
  update.body = kSdpReoffer;
  deliver(update, kProvA);
  const Sent* updateA = lastRequestTo(kPbx, "UPDATE", m);
  ASSERT_NE(updateA, nullptr);
  EXPECT_EQ(updateA->msg->callId(), c.a.callId);
  EXPECT_EQ(updateA->msg->cseq()->number, 1u);
  EXPECT_EQ(uriOf(updateA->header(HeaderId::kContact)), "sip:trunkguard@" + kPbxListener);
  EXPECT_EQ(updateA->msg->body(), kSdpReoffer);
  reply(updateA, kPbx, 200, sdp(kSdpAnswer, c.a.contact));
  auto updateOk = responsesTo(kProvA, 200, m);
  ASSERT_EQ(updateOk.size(), 1u);
  EXPECT_EQ(updateOk[0]->header(HeaderId::kCSeq), std::to_string(update.cseq) + " UPDATE");
  EXPECT_EQ(updateOk[0]->msg->body(), kSdpAnswer);

  // OPTIONS from A, answered by B with a non-2xx.
  m = mark();
  deliver(c.a.request("OPTIONS"), kPbx);
  const Sent* optionsB = lastRequestTo(kProvA, "OPTIONS", m);
  ASSERT_NE(optionsB, nullptr);
  EXPECT_EQ(optionsB->header(HeaderId::kCSeq), std::to_string(++expectedCseq) + " OPTIONS");
  reply(optionsB, kProvA, 405);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{405});
  EXPECT_EQ(b2b_->callCount(), 1u);
}

// §12.2.1.2: "A UAC SHOULD also terminate a dialog if no response at all is received for the
// request". A gets the 408 for its request, and the call ends on both legs.
TEST_F(InDialogTest, UnansweredRelayIsAnswered408AndEndsTheCall) {
  Established c = establishOutbound();
  const size_t m = mark();
  deliver(c.a.request("INFO"), kPbx);
  ASSERT_NE(lastRequestTo(kProvA, "INFO", m), nullptr);
  advance(64 * t1() - 100ms);
  EXPECT_TRUE(finalsTo(kPbx, m).empty());
  advance(200ms);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 408);
  EXPECT_EQ(finals[0]->toTag(), c.a.toTag);
  EXPECT_EQ(b2b_->callCount(), 0u);
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  ASSERT_NE(byeA, nullptr) << "leg A is still up: it needs a BYE";
  reply(byeA, kPbx, 200);
  expectAllGone();
}

// §12.2.1.2: a 481 to an in-dialog request means the far dialog is gone.
TEST_F(InDialogTest, DialogGoneOnBIsRelayedAndEndsTheCall) {
  Established c = establishOutbound();
  const size_t m = mark();
  Request info = c.a.request("INFO");
  deliver(info, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INFO", m);
  ASSERT_NE(onB, nullptr);
  reply(onB, kProvA, 481);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 481);
  EXPECT_EQ(finals[0]->header(HeaderId::kCSeq), std::to_string(info.cseq) + " INFO");
  EXPECT_EQ(b2b_->callCount(), 0u);
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  if (byeA != nullptr) reply(byeA, kPbx, 200);
  expectAllGone();
}

TEST_F(InDialogTest, ReferIsRefusedByDefaultAndTheDialogStays) {
  Established c = establishOutbound();
  size_t m = mark();
  Request refer = c.a.request("REFER");
  refer.headers = {{"Refer-To", "<sip:+15559990000@pbx.example.com>"},
                   {"Referred-By", "<sip:201@pbx.example.com>"}};
  deliver(refer, kPbx);
  auto refused = finalsTo(kPbx, m);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]->msg->statusCode(), 403);
  EXPECT_EQ(refused[0]->toTag(), c.a.toTag);
  EXPECT_TRUE(requestsTo(kProvA, "REFER").empty());
  EXPECT_EQ(b2b_->stats().referRefused, 1u);

  // The provider may not transfer either.
  m = mark();
  Request referB = c.b.request("REFER");
  referB.headers = {{"Refer-To", "<sip:+19005550100@premium.example>"}};
  deliver(referB, kProvA);
  EXPECT_EQ(codesTo(kProvA, m), std::vector<int>{403});
  EXPECT_TRUE(requestsTo(kPbx, "REFER").empty());
  EXPECT_EQ(b2b_->stats().referRefused, 2u);

  // The call is intact: a BYE ends it normally.
  m = mark();
  deliver(c.a.request("BYE"), kPbx);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{200});
  const Sent* bye = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(bye, nullptr);
  reply(bye, kProvA, 200);
  expectAllGone();
}

TEST_F(InDialogTest, ReferIsRelayedWhenThePbxZoneAllowsIt) {
  Options o;
  o.pbxAllowRefer = true;
  start(o);
  Established c = establishOutbound();
  const size_t m = mark();
  Request refer = c.a.request("REFER");
  refer.headers = {{"Refer-To", "<sip:+15559990000@pbx.example.com>"}};
  deliver(refer, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "REFER", m);
  ASSERT_NE(onB, nullptr);
  EXPECT_EQ(onB->msg->callId(), std::string(c.b.invite->callId()));
  EXPECT_EQ(onB->toTag(), c.b.tag);
  EXPECT_EQ(onB->header(HeaderId::kCSeq), "2 REFER");
  EXPECT_EQ(uriOf(onB->header(HeaderId::kContact)), "sip:trunkguard@" + kTrunkListener);
  reply(onB, kProvA, 202);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{202});
  EXPECT_EQ(b2b_->stats().referRefused, 0u);
}

// RFC 3515 §2.4.1: "A REFER request MUST contain exactly one Refer-To header field value." A
// relayed REFER without it is useless to the far end (answered 400).
TEST_F(InDialogTest, RelayedReferCarriesReferTo) {
  Options o;
  o.pbxAllowRefer = true;
  start(o);
  Established c = establishOutbound();
  const size_t m = mark();
  Request refer = c.a.request("REFER");
  refer.headers = {{"Refer-To", "<sip:+15559990000@carrier.example>"}};
  deliver(refer, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "REFER", m);
  ASSERT_NE(onB, nullptr);
  EXPECT_EQ(onB->msg->count(HeaderId::kReferTo), 1u) << onB->bytes;
}

TEST_F(InDialogTest, UnknownDialogIs481) {
  Established c = establishOutbound();
  // Unknown Call-ID.
  size_t m = mark();
  Request r = c.a.request("INFO");
  r.callId = "no-such-call@pbx.example.com";
  deliver(r, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{481});
  // Right Call-ID, wrong To tag.
  m = mark();
  Request wrongTag = c.a.request("BYE");
  wrongTag.to = c.a.to + ";tag=not-ours";
  deliver(wrongTag, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{481});
  // B's Call-ID arriving from the PBX zone is not B's dialog.
  m = mark();
  Request crossZone = c.b.request("BYE");
  crossZone.via = c.a.via(c.a.newBranch());  // sent by the PBX
  deliver(crossZone, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{481});
  EXPECT_TRUE(requestsTo(kProvA, "BYE").empty());
  EXPECT_TRUE(requestsTo(kProvA, "INFO").empty());
  EXPECT_EQ(b2b_->stats().unknownDialog, 3u);
  EXPECT_EQ(b2b_->callCount(), 1u);
}

TEST_F(InDialogTest, LowerOrEqualCSeqIs500) {
  Established c = establishOutbound();
  size_t m = mark();
  Request info = c.a.request("INFO");  // 102
  deliver(info, kPbx);
  reply(lastRequestTo(kProvA, "INFO", m), kProvA, 200);

  m = mark();
  Request stale = c.a.request("INFO");
  stale.cseq = 101;  // below the last one
  deliver(stale, kPbx);
  auto r = finalsTo(kPbx, m);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->msg->statusCode(), 500);
  EXPECT_EQ(r[0]->toTag(), c.a.toTag);
  EXPECT_TRUE(requestsTo(kProvA, "INFO", m).empty());

  m = mark();
  Request same = c.a.request("BYE");
  same.cseq = 102;  // equal to the last one, new transaction
  deliver(same, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{500});
  EXPECT_TRUE(requestsTo(kProvA, "BYE", m).empty());
  EXPECT_EQ(b2b_->callCount(), 1u);
}

// §15.1.2: after a BYE, pending requests of the dialog are still answered; 487 is
// RECOMMENDED.
TEST_F(InDialogTest, ByeWhileAReinviteIsPendingAnswersIt) {
  Established c = establishOutbound();
  Request reinvite = c.a.request("INVITE");
  deliver(reinvite, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE");
  ASSERT_NE(onB, nullptr);
  const size_t m = mark();
  deliver(c.b.request("BYE"), kProvA);
  EXPECT_EQ(responsesTo(kProvA, 200, m).size(), 1u);
  auto finals = finalsTo(kPbx, m);
  ASSERT_EQ(finals.size(), 1u) << "A's pending re-INVITE gets a final answer";
  EXPECT_EQ(finals[0]->header(HeaderId::kCSeq), std::to_string(reinvite.cseq) + " INVITE");
  EXPECT_EQ(finals[0]->msg->statusCode(), 487) << "§15.1.2 RECOMMENDED 487";
  EXPECT_NE(lastRequestTo(kPbx, "BYE", m), nullptr);
  EXPECT_EQ(b2b_->callCount(), 0u);
}

// A CANCEL for a relayed re-INVITE is answered 487 on A; if B answers the re-INVITE 2xx anyway,
// that 2xx must still be ACKed (§13.2.2.4), or B retransmits it and finally BYEs the call
// (§13.3.1.4).
TEST_F(InDialogTest, ReinviteCancelledByAStillAcksBsAnswer) {
  Established c = establishOutbound();
  Request reinvite = c.a.request("INVITE");
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE");
  ASSERT_NE(onB, nullptr);
  reply(onB, kProvA, 100);
  size_t m = mark();
  Request cancel = reinvite;
  cancel.method = "CANCEL";
  cancel.body.clear();
  cancel.contact.clear();
  deliver(cancel, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{200, 487}));
  // B answered the re-INVITE before any CANCEL reached it.
  m = mark();
  reply(onB, kProvA, 200, sdp(kSdpAnswer, c.b.contact));
  EXPECT_EQ(requestsTo(kProvA, "ACK", m).size(), 1u) << "B's 2xx to the re-INVITE was not ACKed";
  EXPECT_EQ(b2b_->callCount(), 1u);
}

// §15: the caller may send BYE on an early dialog; it ends the attempt like a CANCEL.
TEST_F(InDialogTest, ByeOnTheEarlyDialogEndsTheAttempt) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  const size_t m = mark();
  deliver(a.request("BYE"), kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{200, 487}));
  const Sent* cancel = lastRequestTo(kProvA, "CANCEL", m);
  ASSERT_NE(cancel, nullptr);
  reply(cancel, kProvA, 200, {}, b.tag);
  deliver(b.respond(487), kProvA);
  EXPECT_EQ(b2b_->callCount(), 0u);
  deliver(a.ackNon2xx(a.toTag), kPbx);
  expectAllGone();
}

// §12.2.2: "When a UAS receives a target refresh request, it MUST replace the dialog's remote
// target URI with the URI from the Contact header field in that request, if present."
TEST_F(InDialogTest, ReinviteFromARefreshesAsRemoteTarget) {
  Established c = establishOutbound();
  size_t m = mark();
  Request reinvite = c.a.request("INVITE");
  reinvite.contact = "<sip:201@127.0.0.1:5080;line=moved>";
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE", m);
  ASSERT_NE(onB, nullptr);
  reply(onB, kProvA, 200, sdp(kSdpAnswer, c.b.contact));
  Request ack = c.a.ack();
  ack.cseq = reinvite.cseq;
  deliver(ack, kPbx);
  m = mark();
  deliver(c.b.request("BYE"), kProvA);
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  ASSERT_NE(byeA, nullptr);
  EXPECT_EQ(std::string(byeA->msg->requestUriText()), "sip:201@127.0.0.1:5080;line=moved");
}

TEST_F(InDialogTest, UpdateFromBRefreshesBsRemoteTarget) {
  Established c = establishOutbound();
  size_t m = mark();
  Request update = c.b.request("UPDATE");
  update.contact = "<sip:uas-moved@127.0.0.1:5090>";
  deliver(update, kProvA);
  const Sent* onA = lastRequestTo(kPbx, "UPDATE", m);
  ASSERT_NE(onA, nullptr);
  reply(onA, kPbx, 200, sdp(kSdpAnswer, c.a.contact));
  m = mark();
  deliver(c.a.request("BYE"), kPbx);
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeB, nullptr);
  EXPECT_EQ(std::string(byeB->msg->requestUriText()), "sip:uas-moved@127.0.0.1:5090");
}

// RFC 3261 §20 Table 3: Contact is not applicable ("-") in responses to BYE: "the UAS MUST NOT
// place the header field in the response".
TEST_F(InDialogTest, ResponseToByeCarriesNoContact) {
  Established c = establishOutbound();
  const size_t m = mark();
  deliver(c.a.request("BYE"), kPbx);
  auto ok = responsesTo(kPbx, 200, m);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_FALSE(ok[0]->msg->has(HeaderId::kContact)) << ok[0]->bytes;
}

// A CANCEL for a relayed re-INVITE should reach B (§9.1), so that B's INVITE transaction ends
// and the dialog can take the next re-INVITE.
TEST_F(InDialogTest, CancelOfARelayedReinviteIsPropagatedToB) {
  Established c = establishOutbound();
  Request reinvite = c.a.request("INVITE");
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE");
  ASSERT_NE(onB, nullptr);
  reply(onB, kProvA, 180);
  const size_t m = mark();
  Request cancel = reinvite;
  cancel.method = "CANCEL";
  cancel.body.clear();
  cancel.contact.clear();
  deliver(cancel, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{200, 487}));
  auto cancels = requestsTo(kProvA, "CANCEL", m);
  ASSERT_EQ(cancels.size(), 1u) << "B's re-INVITE was never cancelled";
  EXPECT_EQ(cancels[0]->branch(), onB->branch());
}

// B answers a relayed re-INVITE with a provisional and then never with a final response. The
// call ends with a BYE; nothing may stay behind (an INVITE client transaction in Proceeding has
// no timer of its own: the TU has to CANCEL it).
TEST_F(InDialogTest, ReinviteThatBNeverAnswersDoesNotOutliveTheCall) {
  Established c = establishOutbound();
  deliver(c.a.request("INVITE"), kPbx);
  const Sent* onB = lastRequestTo(kProvA, "INVITE");
  ASSERT_NE(onB, nullptr);
  reply(onB, kProvA, 100);
  advance(10s);
  const size_t m = mark();
  deliver(c.a.request("BYE"), kPbx);
  const Sent* bye = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(bye, nullptr);
  reply(bye, kProvA, 200);
  expectAllGone();
}

}  // namespace
}  // namespace tg::b2bua::testing
