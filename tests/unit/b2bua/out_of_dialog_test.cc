// Requests trunkguard answers itself, and INVITEs it refuses before creating a B leg.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class OutOfDialogTest : public B2buaTest {
 protected:
  Request outOfDialog(const std::string& method, const Peer& from = kPbx) {
    Caller c = from.zone == Zone::kPbx ? pbxCaller("ood-1@pbx.example.com")
                                       : providerCaller(from, "ood-1@carrier.example");
    Request r = c.invite();
    r.method = method;
    r.body.clear();
    if (method != "REGISTER") r.contact.clear();
    return r;
  }
  // Exactly one final response to `from`, nothing sent anywhere else, no call.
  const Sent* onlyFinalTo(const Peer& from, size_t since) {
    auto finals = finalsTo(from, since);
    EXPECT_EQ(finals.size(), 1u);
    for (size_t i = since; i < sender_.sent.size(); ++i) {
      EXPECT_TRUE(sender_.sent[i].to(from)) << sender_.sent[i].bytes;
      EXPECT_TRUE(sender_.sent[i].msg->isResponse()) << sender_.sent[i].bytes;
    }
    EXPECT_EQ(b2b_->callCount(), 0u);
    EXPECT_EQ(b2b_->dialogIndexSize(), 0u);
    return finals.empty() ? nullptr : finals[0];
  }
};

TEST_F(OutOfDialogTest, OptionsIsAnsweredLocallyWithAllow) {
  for (const Peer* p : {&kPbx, &kProvA}) {
    const size_t m = mark();
    deliver(outOfDialog("OPTIONS", *p), *p);
    const Sent* r = onlyFinalTo(*p, m);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->msg->statusCode(), 200);
    const std::string allow = r->header(HeaderId::kAllow);
    for (const char* method : {"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS"}) {
      EXPECT_NE(allow.find(method), std::string::npos) << method << " in " << allow;
    }
    EXPECT_EQ(allow.find("REFER"), std::string::npos) << "REFER is refused by default";
    // Issue 21: what it says it supports is what it does; a Require: 100rel gets 420.
    EXPECT_EQ(r->header(HeaderId::kSupported), "timer");
    EXPECT_FALSE(r->toTag().empty());
    EXPECT_EQ(r->msg->cseq()->methodText, "OPTIONS");
  }
  expectAllGone();
}

TEST_F(OutOfDialogTest, InviteRequiringAnUnknownExtensionIs420) {
  Caller a = pbxCaller();
  a.inviteHeaders = {{"Require", "100rel, foo"}};
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{100, 420}));
  const Sent* r = lastResponseTo(kPbx, 420, m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->header(HeaderId::kUnsupported), "100rel, foo");
  EXPECT_TRUE(sentToZone(Zone::kTrunk).empty());
  EXPECT_EQ(b2b_->callCount(), 0u);
  deliver(a.ackNon2xx(r->toTag()), kPbx);
  expectAllGone();
}

// RFC 3262 §4: the gateway never sends A a reliable provisional, so a caller that requires
// them gets 420 naming 100rel rather than an unreliable 180 (issue 21).
TEST_F(OutOfDialogTest, InviteRequiring100relIs420) {
  Caller a = pbxCaller();
  a.inviteHeaders = {{"Require", "100rel"}};
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{100, 420}));
  const Sent* r = lastResponseTo(kPbx, 420, m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->header(HeaderId::kUnsupported), "100rel");
  EXPECT_TRUE(sentToZone(Zone::kTrunk).empty());
  deliver(a.ackNon2xx(r->toTag()), kPbx);
  expectAllGone();
}

TEST_F(OutOfDialogTest, InviteWithoutContactIs400) {
  Caller a = pbxCaller();
  Request inv = a.invite();
  inv.contact.clear();
  const size_t m = mark();
  deliver(inv, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{100, 400}));
  EXPECT_TRUE(sentToZone(Zone::kTrunk).empty());
  EXPECT_EQ(b2b_->callCount(), 0u);
  deliver(a.ackNon2xx(lastResponseTo(kPbx, 400)->toTag()), kPbx);
  expectAllGone();
}

TEST_F(OutOfDialogTest, InviteWithoutADialledNumberIs484) {
  Caller a = pbxCaller();
  a.ruri = "sip:" + kPbxListener;
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{100, 484}));
  EXPECT_TRUE(sentToZone(Zone::kTrunk).empty());
}

TEST_F(OutOfDialogTest, InviteWithANonSdpBodyIs415) {
  Caller a = pbxCaller();
  Request inv = a.invite();
  inv.contentType = "text/plain";
  inv.body = "hello";
  const size_t m = mark();
  deliver(inv, kPbx);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{100, 415}));
  EXPECT_TRUE(sentToZone(Zone::kTrunk).empty());
}

TEST_F(OutOfDialogTest, ByeOutsideADialogIs481) {
  const size_t m = mark();
  deliver(outOfDialog("BYE"), kPbx);
  const Sent* r = onlyFinalTo(kPbx, m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg->statusCode(), 481);
  expectAllGone();
}

TEST_F(OutOfDialogTest, InDialogLookingByeForNoCallIs481) {
  Caller a = pbxCaller();
  a.toTag = "whatever";
  a.target = "sip:trunkguard@" + kPbxListener;
  const size_t m = mark();
  deliver(a.request("BYE"), kPbx);
  const Sent* r = onlyFinalTo(kPbx, m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg->statusCode(), 481);
  EXPECT_EQ(b2b_->stats().unknownDialog, 1u);
}

TEST_F(OutOfDialogTest, UnknownMethodIs501) {
  const size_t m = mark();
  deliver(outOfDialog("FROBNICATE"), kPbx);
  const Sent* r = onlyFinalTo(kPbx, m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg->statusCode(), 501);
  EXPECT_EQ(r->header(HeaderId::kCSeq), "101 FROBNICATE");
  expectAllGone();
}

TEST_F(OutOfDialogTest, KnownButUnhandledMethodIs405WithAllow) {
  const size_t m = mark();
  deliver(outOfDialog("MESSAGE"), kPbx);
  const Sent* r = onlyFinalTo(kPbx, m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->msg->statusCode(), 405);
  EXPECT_TRUE(r->msg->has(HeaderId::kAllow)) << "§21.4.6: a 405 MUST carry Allow";
}

TEST_F(OutOfDialogTest, OutOfDialogReferIsRefused) {
  const size_t m = mark();
  Request r = outOfDialog("REFER");
  r.headers = {{"Refer-To", "<sip:+19005550100@premium.example>"}};
  deliver(r, kPbx);
  const Sent* f = onlyFinalTo(kPbx, m);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->msg->statusCode(), 403);
}

TEST_F(OutOfDialogTest, RegisterIsAcceptedFromThePbxOnly) {
  size_t m = mark();
  deliver(outOfDialog("REGISTER", kPbx), kPbx);
  const Sent* ok = onlyFinalTo(kPbx, m);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->msg->statusCode(), 200);
  m = mark();
  deliver(outOfDialog("REGISTER", kProvA), kProvA);
  const Sent* refused = onlyFinalTo(kProvA, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->msg->statusCode(), 403);
  expectAllGone();
}

TEST_F(OutOfDialogTest, RetransmittedInviteIsAbsorbed) {
  Caller a = pbxCaller();
  ASSERT_NE(sendInvite(a), nullptr);
  const size_t m = mark();
  deliver(a.invite(), kPbx);  // same branch: a retransmission
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{100}) << "the 100 Trying again";
  EXPECT_TRUE(requestsTo(kProvA, "INVITE", m).empty());
  EXPECT_EQ(b2b_->callCount(), 1u);
  EXPECT_EQ(b2b_->stats().callsStarted, 1u);
}

TEST_F(OutOfDialogTest, StrayAckIsIgnored) {
  Caller a = pbxCaller();
  a.toTag = "nobody";
  const size_t m = mark();
  deliver(a.ack(), kPbx);
  EXPECT_EQ(mark(), m);
  expectAllGone();
}

// RFC 3261 §8.1.1.6 / RFC 7332 §3: a request whose Max-Forwards is 0 is not forwarded (483);
// a B2BUA that sends it on with Max-Forwards 0 again makes a routing loop through it endless.
TEST_F(OutOfDialogTest, InviteWithMaxForwardsZeroIs483) {
  Caller a = pbxCaller();
  a.maxForwards = 0;
  const size_t m = mark();
  deliver(a.invite(), kPbx);
  EXPECT_TRUE(sentToZone(Zone::kTrunk, m).empty())
      << "forwarded with Max-Forwards "
      << sentToZone(Zone::kTrunk, m)[0]->header(HeaderId::kMaxForwards);
  EXPECT_EQ(codesTo(kPbx, m), (std::vector<int>{100, 483}));
}

TEST_F(OutOfDialogTest, InviteWithMaxForwardsOneGoesOutWithZero) {
  Caller a = pbxCaller();
  a.maxForwards = 1;
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->msg->maxForwards(), std::optional<uint32_t>(0));
}

}  // namespace
}  // namespace tg::b2bua::testing
