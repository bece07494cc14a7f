// Topology hiding (B2BUA.md "What never crosses"): every byte sent to one side is searched for
// anything that only the other side's messages carried.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class TopologyTest : public B2buaTest {
 protected:
  // Fails for every message sent to `zone` that contains one of `secrets`.
  void expectNoneIn(Zone zone, const std::vector<std::string>& secrets, size_t since = 0) {
    const auto sent = sentToZone(zone, since);
    ASSERT_FALSE(sent.empty());
    for (const Sent* s : sent) {
      for (const std::string& secret : secrets) {
        ASSERT_FALSE(secret.empty());
        EXPECT_EQ(s->bytes.find(secret), std::string::npos)
            << "'" << secret << "' leaked to the " << transport::zoneName(zone) << " zone in:\n"
            << s->bytes;
      }
    }
  }

  // A PBX that shows everything it should not.
  static Caller leakyPbx() {
    Caller a = pbxCaller("7f3a9c0e-11@pbx.internal");
    a.from = "\"Alice\" <sip:201@pbx.internal>";
    a.fromTag = "secret-tag-pbx77";
    a.to = "<sip:+15551234567@pbx.internal>";
    a.viaHost = "10.1.2.3:5080";
    a.lowerVias = {"SIP/2.0/UDP 10.1.2.4:5060;branch=z9hG4bK-inner-hop-1"};
    a.contact = "<sip:201@10.1.2.3:5080;ob>";
    a.recordRoutes = {"<sip:10.1.2.3;lr>"};
    a.inviteHeaders = {
        {"User-Agent", "FPBX-16.0.33(internal-build)"},
        {"X-Secret", "hunter2"},
        {"X-Asterisk-Account", "acct-99"},
        {"P-Asserted-Identity", "\"Alice\" <sip:201@10.1.2.3>"},
        {"Organization", "Internal Org"},
        {"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"},
        {"Supported", "timer"},
        {"Session-Expires", "1800;refresher=uac"},
        {"Min-SE", "90"},
        {"Accept", "application/sdp"},
    };
    return a;
  }
};

const std::vector<std::string> kPbxSecrets = {
    "10.1.2.3",       "10.1.2.4",     "pbx.internal",        "hunter2",   "FPBX",
    "internal-build", "X-Secret",     "X-Asterisk",          "acct-99",   "secret-tag-pbx77",
    "7f3a9c0e",       "Internal Org", "P-Asserted-Identity", "inner-hop", "Record-Route",
    "Route:",
};

TEST_F(TopologyTest, NothingOfThePbxReachesTheTrunkDuringAWholeCall) {
  Caller a = leakyPbx();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);

  // Allowlisted headers do cross.
  EXPECT_EQ(inv->header(HeaderId::kAllow), "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE");
  EXPECT_EQ(inv->header(HeaderId::kSupported), "timer");
  EXPECT_EQ(inv->header(HeaderId::kSessionExpires), "1800;refresher=uac");
  EXPECT_EQ(inv->header(HeaderId::kMinSE), "90");
  EXPECT_EQ(inv->header(HeaderId::kAccept), "application/sdp");
  EXPECT_EQ(inv->header(HeaderId::kUserAgent), "trunkguard");
  EXPECT_EQ(inv->msg->count(HeaderId::kVia), 1u);

  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  ASSERT_NE(calleeSends(a, b, 200, ok), nullptr);
  const std::string aSideTag = a.toTag;  // trunkguard's tag on leg A: leg A only
  ASSERT_FALSE(aSideTag.empty());

  // ACK with the PBX's headers.
  Request ack = a.ack();
  ack.headers = {{"User-Agent", "FPBX-16.0.33(internal-build)"}, {"X-Secret", "hunter2"}};
  ack.via += ";received=10.1.2.3";
  deliver(ack, kPbx);
  ASSERT_EQ(requestsTo(kProvA, "ACK").size(), 1u);

  // A re-INVITE from the PBX.
  size_t m = mark();
  Request reinvite = a.request("INVITE");
  reinvite.lowerVias = {"SIP/2.0/UDP 10.1.2.4:5060;branch=z9hG4bK-inner-hop-2"};
  reinvite.headers = {{"User-Agent", "FPBX-16.0.33(internal-build)"},
                      {"X-Secret", "hunter2"},
                      {"Supported", "timer"}};
  reinvite.body = kSdpReoffer;
  deliver(reinvite, kPbx);
  const Sent* reinvB = lastRequestTo(kProvA, "INVITE", m);
  ASSERT_NE(reinvB, nullptr);
  EXPECT_EQ(reinvB->msg->body(), kSdpReoffer);
  reply(reinvB, kProvA, 200, sdp(kSdpAnswer, b.contact));
  const Sent* reinv200 = lastResponseTo(kPbx, 200, m);
  ASSERT_NE(reinv200, nullptr);
  m = mark();
  Request reack = a.ack();
  reack.cseq = reinvite.cseq;
  reack.headers = {{"X-Secret", "hunter2"}};
  deliver(reack, kPbx);
  ASSERT_NE(lastRequestTo(kProvA, "ACK", m), nullptr);

  // INFO and an in-dialog OPTIONS from the PBX.
  for (const char* method : {"INFO", "OPTIONS"}) {
    m = mark();
    Request r = a.request(method);
    r.headers = {{"User-Agent", "FPBX-16.0.33(internal-build)"}, {"X-Secret", "hunter2"}};
    if (std::string(method) == "INFO") {
      r.contentType = "application/dtmf-relay";
      r.body = "Signal=5\r\nDuration=160\r\n";
    }
    deliver(r, kPbx);
    const Sent* relayed = lastRequestTo(kProvA, method, m);
    ASSERT_NE(relayed, nullptr) << method;
    reply(relayed, kProvA, 200);
  }

  // The provider re-INVITEs; the PBX answers with everything it should not show.
  m = mark();
  deliver(b.request("INVITE"), kProvA);
  const Sent* reinvA = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(reinvA, nullptr);
  ResponseOptions leaky;
  leaky.contact = "<sip:201@10.1.2.3:5080>";
  leaky.recordRoutes = {"<sip:10.1.2.3;lr>"};
  leaky.headers = {{"Server", "FPBX-16.0.33(internal-build)"},
                   {"Warning", "399 10.1.2.3 \"pbx.internal dialplan ctx=from-internal\""},
                   {"X-Secret", "hunter2"},
                   {"Allow", "INVITE, ACK, BYE"}};
  leaky.body = kSdpOffer;
  reply(reinvA, kPbx, 200, leaky);
  const Sent* toProvider = lastResponseTo(kProvA, 200, m);
  ASSERT_NE(toProvider, nullptr);
  deliver(b.ack(b.cseq), kProvA);
  ASSERT_NE(lastRequestTo(kPbx, "ACK", m), nullptr);
  EXPECT_EQ(toProvider->header(HeaderId::kAllow), "INVITE, ACK, BYE") << "allowlisted";
  EXPECT_EQ(toProvider->header(HeaderId::kServer), "trunkguard");
  EXPECT_FALSE(toProvider->msg->has(HeaderId::kWarning));

  // The PBX hangs up.
  m = mark();
  Request bye = a.request("BYE");
  bye.headers = {{"User-Agent", "FPBX-16.0.33(internal-build)"},
                 {"X-Secret", "hunter2"},
                 {"Reason", "Q.850;cause=16;text=\"pbx.internal\""}};
  deliver(bye, kPbx);
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeB, nullptr);
  reply(byeB, kProvA, 200);

  std::vector<std::string> secrets = kPbxSecrets;
  secrets.push_back(a.callId);
  secrets.push_back(aSideTag);
  secrets.push_back(a.inviteBranch);
  expectNoneIn(Zone::kTrunk, secrets);
  // Every message to the trunk came from trunkguard's trunk listener.
  for (const Sent* s : sentToZone(Zone::kTrunk)) {
    if (s->msg->isRequest()) {
      EXPECT_EQ(s->msg->count(HeaderId::kVia), 1u) << s->bytes;
      EXPECT_EQ(s->msg->topVia()->host, "127.0.0.1");
      EXPECT_EQ(s->msg->topVia()->port, 5060);
    }
  }
  expectAllGone();
}

TEST_F(TopologyTest, ProvisionalAndFinalResponsesToTheTrunkHideThePbx) {
  // Inbound: the provider calls, the PBX (callee) answers with internal details.
  Caller a = providerCaller();
  const Sent* inv = sendInvite(a, kPbx);
  ASSERT_NE(inv, nullptr);
  Callee pbx = calleeFor(inv, kPbx, "secret-tag-pbx77");
  pbx.contact = "<sip:201@10.1.2.3:5080>";
  ResponseOptions leaky;
  leaky.recordRoutes = {"<sip:10.1.2.3;lr>", "<sip:10.1.2.4;lr>"};
  leaky.headers = {{"Server", "FPBX-16.0.33(internal-build)"},
                   {"Warning", "399 10.1.2.3 \"pbx.internal\""},
                   {"X-Asterisk-Account", "acct-99"},
                   {"P-Asserted-Identity", "<sip:201@10.1.2.3>"},
                   {"Supported", "timer"}};
  ASSERT_NE(calleeSends(a, pbx, 180, leaky), nullptr);
  leaky.body = kSdpAnswer;
  const Sent* ok = calleeSends(a, pbx, 200, leaky);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->header(HeaderId::kSupported), "timer");
  EXPECT_EQ(uriOf(ok->header(HeaderId::kContact)), "sip:trunkguard@" + kTrunkListener);
  ASSERT_NE(callerAcks(a, kPbx), nullptr);
  // The PBX hangs up.
  const size_t m = mark();
  deliver(pbx.request("BYE"), kPbx);
  const Sent* byeA = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeA, nullptr);
  reply(byeA, kProvA, 200);

  std::vector<std::string> secrets = kPbxSecrets;
  secrets.push_back(std::string(inv->msg->callId()));  // the PBX leg's Call-ID
  expectNoneIn(Zone::kTrunk, secrets);
  expectAllGone();
}

TEST_F(TopologyTest, NothingOfTheProviderReachesThePbx) {
  Caller a = providerCaller();
  a.viaHost = "198.18.7.7:5060";
  a.viaParams = ";rport";
  a.lowerVias = {"SIP/2.0/UDP 198.18.7.8:5060;branch=z9hG4bK-carrier-core-1"};
  a.callId = "carrier-core-4471@sbc.carrier.example";
  a.fromTag = "carrier-secret-tag";
  a.recordRoutes = {"<sip:198.18.7.7;lr>"};
  a.contact = "<sip:+15550001111@198.18.7.7:5060>";
  a.inviteHeaders = {{"User-Agent", "CarrierSBC 9.1"},
                     {"X-Carrier-Billing", "acct=555"},
                     {"Server", "CarrierSBC 9.1"}};
  const Sent* inv = sendInvite(a, kPbx);
  ASSERT_NE(inv, nullptr);
  Callee pbx = calleeFor(inv, kPbx);
  ResponseOptions ok;
  ok.body = kSdpAnswer;
  ASSERT_NE(calleeSends(a, pbx, 200, ok), nullptr);
  ASSERT_NE(callerAcks(a, kPbx), nullptr);
  const size_t m = mark();
  Request bye = a.request("BYE");
  bye.headers = {{"X-Carrier-Billing", "acct=555"}};
  deliver(bye, kProvA);
  reply(lastRequestTo(kPbx, "BYE", m), kPbx, 200);
  expectNoneIn(Zone::kPbx, {"198.18.7.7", "198.18.7.8", "carrier-core", "sbc.carrier.example",
                            "carrier-secret-tag", "CarrierSBC", "X-Carrier", "acct=555"});
  expectAllGone();
}

// Reason phrases are free text like Warning texts (B2BUA.md "What never crosses": "Warning texts
// with internal details"); a PBX that writes its internals into them must not show them to the
// trunk.
TEST_F(TopologyTest, ReasonPhrasesFromThePbxDoNotReachTheTrunk) {
  Caller a = providerCaller();
  const Sent* inv = sendInvite(a, kPbx);
  ASSERT_NE(inv, nullptr);
  Callee pbx = calleeFor(inv, kPbx);
  ResponseOptions o;
  o.reason = "Ringing (ext 201 via 10.1.2.3 pbx.internal)";
  ASSERT_NE(calleeSends(a, pbx, 180, o), nullptr);
  o.reason = "Busy Here (queue sales@pbx.internal full)";
  deliver(pbx.respond(486, o), kPbx);
  EXPECT_EQ(codesTo(kProvA), (std::vector<int>{100, 180, 486}));
  expectNoneIn(Zone::kTrunk, {"10.1.2.3", "pbx.internal"});
}

}  // namespace
}  // namespace tg::b2bua::testing
