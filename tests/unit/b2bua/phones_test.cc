// Remote phones through the public zone: REGISTER relayed to the PBX with its Contact rewritten,
// bindings and their expiry, calls from phones (challenged first) and to them (via the
// binding), the edge answers that hide which extensions exist, and pbx-mode failure counting.

#include <stdlib.h>

#include "../auth/auth_test_util.h"
#include "auth/auth_service.h"
#include "b2bua/live_call_checks.h"
#include "b2bua_test_util.h"
#include "base/secret_hash.h"
#include "db/account_store.h"
#include "guard/ban/ban_list.h"
#include "guard/policy/call_policy.h"

namespace tg::b2bua::testing {
namespace {

// A phone behind NAT: it writes its private address, its packets come from the router's.
inline const Peer kPhone{"phone", Zone::kPublic, "203.0.113.50", 40000};
inline const Peer kAttacker{"attacker", Zone::kPublic, "198.51.100.66", 5070};
inline const std::string kPublicListener = "127.0.0.1:5062";
inline const std::string kPhoneContact = "sip:201@192.168.1.10:5060";
inline const std::string kPassword = "Lantern-Orbit-58";

class PhonesTest : public B2buaTest {
 protected:
  void SetUp() override { startPhones("gateway"); }
  void TearDown() override {
    stop();
    auth_.reset();
    B2buaTest::TearDown();
    if (!dbDir_.empty()) std::filesystem::remove_all(dbDir_);
  }

  void startPhones(const std::string& mode, const std::string& accountsYaml = "") {
    stop();
    auth_.reset();
    if (dbDir_.empty()) {
      std::string pattern = (std::filesystem::temp_directory_path() / "tg-ph-XXXXXX").string();
      ASSERT_NE(mkdtemp(pattern.data()), nullptr);
      dbDir_ = pattern;
    }
    const std::string db = (dbDir_ / "t.db").string();
    std::string yaml = configYaml(Options{});
    const std::string memory = "database: { path: \":memory:\" }";
    yaml.replace(yaml.find(memory), memory.size(), "database: { path: " + db + " }");
    yaml += "public:\n  listen: [ \"udp://" + kPublicListener + "\" ]\n";
    yaml += "  auth: { mode: " + mode + ", realm: gw.example.com }\n";
    yaml += accountsYaml.empty() ? "accounts:\n  lockout: { failures: 3, source_failures: 0 }\n"
                                 : accountsYaml;
    auto loaded = config::loadConfigString(yaml, "phones-test.yaml");
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.toString();
    ASSERT_TRUE(loaded.ok());
    config_ = loaded.config;
    {
      db::AccountStore store(db);
      if (!store.find("201")) {
        db::AccountRecord r = auth::hashPassword("201", "gw.example.com", kPassword, 0);
        r.allowedCallerIds = {"201"};
        r.maxRegistrations = 1;
        ASSERT_EQ(store.add(r), "");
      }
    }
    auth_ = std::make_unique<auth::AuthService>(*config_, clock_, bans_.get(), nullptr);
    endpoints_.push_back({Zone::kPublic, config::TransportKind::kUdp, addr("127.0.0.1", 5062)});
    b2b_ = std::make_unique<B2bua>(
        config_, timers_,
        [this](Zone z, config::TransportKind t) -> const transport::LocalEndpoint* {
          for (const auto& e : endpoints_) {
            if (e.zone == z && e.transport == t) return &e;
          }
          return nullptr;
        },
        nullptr);
    layer_ =
        std::make_unique<transaction::TransactionLayer>(timers_, sender_, *b2b_, config_->timers);
    b2b_->attach(*layer_, sender_);
    b2b_->setRemotePhones(auth_.get(), nullptr);
  }

  // The phone's REGISTER with the next CSeq (and credentials when given).
  Request registerRequest(const std::string& authorization = {}, int expires = 600,
                          const std::string& contact = "<" + kPhoneContact + ">",
                          const std::string& callId = "reg-1@192.168.1.10") {
    Request r;
    r.method = "REGISTER";
    r.ruri = "sip:" + kPublicListener;
    r.via = "SIP/2.0/UDP 192.168.1.10:5060;rport;branch=z9hG4bK-reg-" + std::to_string(++seq_);
    r.from = "<sip:201@" + kPublicListener + ">;tag=ph-reg";
    r.to = "<sip:201@" + kPublicListener + ">";
    r.callId = callId;
    r.cseq = static_cast<uint32_t>(seq_);
    r.contact = contact;
    r.headers = {{"Expires", std::to_string(expires)}};
    if (!authorization.empty()) r.headers.push_back({"Authorization", authorization});
    return r;
  }

  std::string answerFor(const Sent* challenge, const std::string& method, const std::string& uri,
                        HeaderId header = HeaderId::kWwwAuthenticate,
                        const std::string& password = kPassword) {
    auth::testing::Answer a;
    a.username = "201";
    a.password = password;
    a.method = method;
    a.uri = uri;
    return auth::testing::answer(challenge->header(header), a);
  }

  // REGISTER, 401, REGISTER with credentials: returns the REGISTER relayed to the PBX.
  const Sent* registerThroughChallenge(const Peer& from = kPhone) {
    size_t m = mark();
    deliver(registerRequest(), from);
    const Sent* challenge = lastResponseTo(from, 401, m);
    EXPECT_NE(challenge, nullptr);
    if (challenge == nullptr) return nullptr;
    m = mark();
    deliver(registerRequest(answerFor(challenge, "REGISTER", "sip:" + kPublicListener)), from);
    return lastRequestTo(kPbx, "REGISTER", m);
  }

  // Registers the phone; returns the binding key the PBX saw.
  std::string registerPhone() {
    const Sent* reg = registerThroughChallenge();
    if (reg == nullptr) {
      ADD_FAILURE() << "no REGISTER reached the PBX";
      return {};
    }
    const std::string key(reg->msg->contact()->uri.user);
    ResponseOptions ok;
    ok.contact = reg->header(HeaderId::kContact);
    deliver(replyTo(*reg->msg, 200, "pbx-reg", ok), kPbx);
    return key;
  }

  // The phone's INVITE, our 407 and its ACK, then the retry (same Call-ID, next CSeq) with
  // its answer. Returns the mark taken before the retry: what that INVITE caused follows it.
  size_t inviteThroughChallenge(Caller& a) {
    size_t m = mark();
    deliver(a.invite(), kPhone);
    EXPECT_TRUE(requestsTo(kPbx, "INVITE", m).empty()) << "nothing reaches the PBX unchallenged";
    const Sent* challenge = lastResponseTo(kPhone, 407, m);
    EXPECT_NE(challenge, nullptr);
    if (challenge == nullptr) return mark();
    deliver(a.ackNon2xx(challenge->toTag()), kPhone);
    a.inviteBranch.clear();
    a.inviteCseq = ++a.cseq;
    a.inviteHeaders = {{"Proxy-Authorization",
                        answerFor(challenge, "INVITE", a.ruri, HeaderId::kProxyAuthenticate)}};
    m = mark();
    deliver(a.invite(), kPhone);
    return m;
  }

  Caller phoneCaller() {
    Caller c;
    c.peer = kPhone;
    c.ruri = "sip:202@" + kPublicListener;
    c.from = "<sip:201@" + kPublicListener + ">";
    c.fromTag = "ph-call-1";
    c.to = "<sip:202@" + kPublicListener + ">";
    c.callId = "ph-call-1@192.168.1.10";
    c.contact = "<" + kPhoneContact + ">";
    c.viaHost = "192.168.1.10:5060";
    c.viaParams = ";rport";
    return c;
  }

  std::unique_ptr<guard::BanList> bans_;  // null: no perimeter
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<guard::policy::CallPolicy> policy_;
  std::filesystem::path dbDir_;
  int seq_ = 0;
};

TEST_F(PhonesTest, RegisterIsAuthenticatedThenRelayedWithTheContactRewritten) {
  size_t m = mark();
  deliver(registerRequest(), kPhone);
  EXPECT_TRUE(requestsTo(kPbx, "REGISTER", m).empty()) << "nothing reaches the PBX unchallenged";
  const Sent* challenge = lastResponseTo(kPhone, 401, m);
  ASSERT_NE(challenge, nullptr);
  EXPECT_NE(challenge->header(HeaderId::kWwwAuthenticate).find("realm=\"gw.example.com\""),
            std::string::npos);

  m = mark();
  deliver(registerRequest(answerFor(challenge, "REGISTER", "sip:" + kPublicListener)), kPhone);
  const Sent* reg = lastRequestTo(kPbx, "REGISTER", m);
  ASSERT_NE(reg, nullptr);
  const sip::NameAddr* contact = reg->msg->contact();
  ASSERT_NE(contact, nullptr);
  EXPECT_EQ(contact->uri.host, "127.0.0.1");
  EXPECT_EQ(contact->uri.port, 5070) << "the gateway's pbx-side listener";
  EXPECT_EQ(contact->uri.user.substr(0, 2), "tg");
  EXPECT_EQ(uriOf(reg->header(HeaderId::kTo)), "sip:201@127.0.0.1:5080");
  EXPECT_FALSE(reg->msg->has(HeaderId::kAuthorization)) << "our realm's credentials stay here";
  EXPECT_EQ(reg->bytes.find("192.168.1.10"), std::string::npos) << "nothing of the phone crosses";
  EXPECT_EQ(reg->bytes.find("203.0.113.50"), std::string::npos);
  EXPECT_EQ(b2b_->bindings().activeCount(), 0u) << "pending until the PBX accepts";

  ResponseOptions ok;
  ok.contact = reg->header(HeaderId::kContact);
  m = mark();
  deliver(replyTo(*reg->msg, 200, "pbx-reg", ok), kPbx);
  const Sent* answer = lastResponseTo(kPhone, 200, m);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->target.address, kPhone.address()) << "rport: the NAT's address";
  EXPECT_EQ(uriOf(answer->header(HeaderId::kContact)), kPhoneContact);
  EXPECT_NE(answer->header(HeaderId::kContact).find("expires=600"), std::string::npos);
  EXPECT_EQ(b2b_->bindings().activeCount(), 1u);
  auto binding = b2b_->bindings().latestFor("201");
  ASSERT_TRUE(binding.has_value());
  EXPECT_EQ(binding->key, std::string(contact->uri.user));
  EXPECT_EQ(binding->phone.address, kPhone.address());
  EXPECT_EQ(binding->phoneContact, kPhoneContact);

  // A refresh keeps the PBX-side identity (Call-ID, Contact) and advances its CSeq.
  const Sent* refresh = registerThroughChallenge();
  ASSERT_NE(refresh, nullptr);
  EXPECT_EQ(refresh->msg->callId(), reg->msg->callId());
  EXPECT_EQ(refresh->msg->contact()->uri.user, contact->uri.user);
  EXPECT_GT(refresh->msg->cseq()->number, reg->msg->cseq()->number);

  advance(601s, 1s);
  EXPECT_EQ(b2b_->bindings().activeCount(), 0u) << "expired";
  EXPECT_FALSE(b2b_->bindings().latestFor("201").has_value());
}

TEST_F(PhonesTest, MaxRegistrationsIsEnforced) {
  registerPhone();
  ASSERT_EQ(b2b_->bindings().activeCount(), 1u);
  size_t m = mark();
  const std::string other = "<sip:201@10.0.0.7:5060>";
  deliver(registerRequest({}, 600, other, "reg-2@10.0.0.7"), kPhone);
  const Sent* challenge = lastResponseTo(kPhone, 401, m);
  ASSERT_NE(challenge, nullptr);
  m = mark();
  deliver(registerRequest(answerFor(challenge, "REGISTER", "sip:" + kPublicListener), 600, other,
                          "reg-2@10.0.0.7"),
          kPhone);
  const Sent* refused = lastResponseTo(kPhone, 403, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->msg->reasonPhrase(), "Too Many Registrations");
  EXPECT_TRUE(requestsTo(kPbx, "REGISTER", m).empty());
}

TEST_F(PhonesTest, UnregisterRemovesTheBinding) {
  registerPhone();
  size_t m = mark();
  deliver(registerRequest({}, 0), kPhone);
  const Sent* challenge = lastResponseTo(kPhone, 401, m);
  ASSERT_NE(challenge, nullptr);
  m = mark();
  deliver(registerRequest(answerFor(challenge, "REGISTER", "sip:" + kPublicListener), 0), kPhone);
  const Sent* reg = lastRequestTo(kPbx, "REGISTER", m);
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->header(HeaderId::kExpires), "0");
  deliver(replyTo(*reg->msg, 200, "pbx-reg"), kPbx);
  EXPECT_EQ(b2b_->bindings().activeCount(), 0u);
}

TEST_F(PhonesTest, CallFromAPhoneIsChallengedThenReachesThePbx) {
  Caller a = phoneCaller();
  const size_t m = inviteThroughChallenge(a);
  const Sent* inv = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(std::string(inv->msg->requestUriText()), "sip:202@127.0.0.1:5080");
  EXPECT_EQ(uriOf(inv->header(HeaderId::kFrom)), "sip:201@127.0.0.1:5070");
  EXPECT_FALSE(inv->msg->has(HeaderId::kProxyAuthorization));
  EXPECT_EQ(inv->bytes.find("192.168.1.10"), std::string::npos);
  auto calls = b2b_->activeCalls();
  ASSERT_EQ(calls.size(), 1u);

  Callee pbx = calleeFor(inv, kPbx, "pbx-tag-1");
  const Sent* ok = calleeSends(a, pbx, 200, sdp(kSdpAnswer));
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->target.address, kPhone.address());
  EXPECT_EQ(uriOf(ok->header(HeaderId::kContact)), "sip:trunkguard@" + kPublicListener);
  EXPECT_NE(callerAcks(a, kPbx), nullptr);
  const size_t m2 = mark();
  deliver(a.request("BYE"), kPhone);
  ASSERT_NE(lastRequestTo(kPbx, "BYE", m2), nullptr);
  reply(lastRequestTo(kPbx, "BYE", m2), kPbx, 200);
  expectAllGone();
}

// Issue 12 item 9: locking an account ends its live calls (call control), counted.
TEST_F(PhonesTest, LockingTheAccountEndsItsLiveCalls) {
  Caller a = phoneCaller();
  const size_t m = inviteThroughChallenge(a);
  const Sent* inv = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(inv, nullptr);
  Callee pbx = calleeFor(inv, kPbx, "pbx-tag-1");
  ASSERT_NE(calleeSends(a, pbx, 200, sdp(kSdpAnswer)), nullptr);
  ASSERT_NE(callerAcks(a, kPbx), nullptr);
  guard::BanList bans(clock_);
  LiveCallChecks checks(bans, auth_.get());
  EXPECT_EQ(checks.sweep(*b2b_, clock_.now()), 0u);
  for (int i = 0; i < 3; ++i) {
    auth_->lockout().recordFailure("201", kPhone.address(), Zone::kPublic, "wrong password");
  }
  ASSERT_TRUE(auth_->lockout().isLocked("201", kPhone.address()));
  const size_t m2 = mark();
  EXPECT_EQ(checks.sweep(*b2b_, clock_.now()), 1u);
  EXPECT_NE(lastRequestTo(kPbx, "BYE", m2), nullptr);
  EXPECT_NE(lastRequestTo(kPhone, "BYE", m2), nullptr);
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(b2b_->stats().endedLocked, 1u);
}

TEST_F(PhonesTest, CallerIdMustBeTheAccounts) {
  Caller a = phoneCaller();
  a.from = "<sip:+15550009999@" + kPublicListener + ">";
  size_t m = inviteThroughChallenge(a);
  const Sent* refused = lastResponseTo(kPhone, 403, m);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->msg->reasonPhrase(), "Caller ID Not Allowed");
  EXPECT_TRUE(requestsTo(kPbx, "INVITE", m).empty());
}

TEST_F(PhonesTest, PbxNotFoundIsNormalisedForThePhone) {
  Caller a = phoneCaller();
  size_t m = inviteThroughChallenge(a);
  const Sent* inv = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(inv, nullptr);
  Callee pbx = calleeFor(inv, kPbx, "pbx-tag-1");
  ResponseOptions notFound;
  notFound.reason = "Extension 202 does not exist";
  m = mark();
  deliver(pbx.respond(404, notFound), kPbx);
  EXPECT_TRUE(responsesTo(kPhone, 404, m).empty());
  const Sent* answer = lastResponseTo(kPhone, 480, m);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->msg->reasonPhrase(), "Temporarily Unavailable");
}

TEST_F(PhonesTest, CallFromThePbxReachesTheRegisteredPhone) {
  const std::string key = registerPhone();
  ASSERT_FALSE(key.empty());
  Caller pbx = pbxCaller("pbx-to-phone-1@pbx.example.com");
  pbx.ruri = "sip:" + key + "@" + kPbxListener;
  pbx.to = "<sip:201@" + kPbxListener + ">";
  const Sent* inv = sendInvite(pbx, kPhone);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->target.zone, Zone::kPublic);
  EXPECT_EQ(inv->target.address, kPhone.address()) << "the NAT's address, not the Contact";
  EXPECT_EQ(std::string(inv->msg->requestUriText()), kPhoneContact);
  EXPECT_EQ(uriOf(inv->header(HeaderId::kContact)), "sip:trunkguard@" + kPublicListener);
  EXPECT_EQ(inv->bytes.find("pbx.example.com"), std::string::npos);
  EXPECT_TRUE(requestsTo(kProvA, "INVITE").empty()) << "never to the providers";

  Callee phone = calleeFor(inv, kPhone, "phone-tag");
  ASSERT_NE(calleeSends(pbx, phone, 180), nullptr);
  ASSERT_NE(calleeSends(pbx, phone, 200, sdp(kSdpAnswer)), nullptr);
  const Sent* ack = callerAcks(pbx, kPhone);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->target.address, kPhone.address());

  // The account's AOR works as well.
  Caller byAor = pbxCaller("pbx-to-phone-2@pbx.example.com");
  byAor.ruri = "sip:201@" + kPbxListener;
  byAor.fromTag = "pbx-from-2";
  ASSERT_NE(sendInvite(byAor, kPhone), nullptr);
}

TEST_F(PhonesTest, CallForAnUnregisteredUserGoesToTheProvidersAsBefore) {
  Caller pbx = pbxCaller();
  EXPECT_NE(sendInvite(pbx, kProvA), nullptr);
}

TEST_F(PhonesTest, PassThroughRelaysCredentialsAndCountsThePbxsRefusals) {
  startPhones("pbx",
              "accounts:\n  lockout: { failures: 2, per_source: true, "
              "source_failures: 0 }\n");
  const std::string pbxChallenge =
      "Digest realm=\"asterisk\", nonce=\"4f3a2b1c0d9e8f7a\", algorithm=MD5, qop=\"auth\"";
  const std::string creds =
      "Digest username=\"201\", realm=\"asterisk\", nonce=\"4f3a2b1c0d9e8f7a\", "
      "uri=\"sip:" +
      kPublicListener +
      "\", response=\"0123456789abcdef0123456789abcdef\", "
      "algorithm=MD5, qop=auth, nc=00000001, cnonce=\"x1\"";
  std::string pbxCallId;
  for (int i = 0; i < 2; ++i) {
    size_t m = mark();
    deliver(registerRequest(creds), kAttacker);
    const Sent* reg = lastRequestTo(kPbx, "REGISTER", m);
    ASSERT_NE(reg, nullptr);
    EXPECT_EQ(reg->header(HeaderId::kAuthorization), creds) << "relayed as the phone sent it";
    if (pbxCallId.empty()) pbxCallId = std::string(reg->msg->callId());
    EXPECT_EQ(reg->msg->callId(), pbxCallId) << "a retry stays in the PBX's dialog";
    ResponseOptions no;
    no.headers = {{"WWW-Authenticate", pbxChallenge}};
    m = mark();
    deliver(replyTo(*reg->msg, 401, "pbx", no), kPbx);
    const Sent* relayed = lastResponseTo(kAttacker, 401, m);
    ASSERT_NE(relayed, nullptr);
    EXPECT_EQ(relayed->header(HeaderId::kWwwAuthenticate), pbxChallenge);
  }
  EXPECT_TRUE(auth_->lockout().isLocked("201", kAttacker.address()));
  EXPECT_FALSE(auth_->lockout().isLocked("201", kPhone.address())) << "per source";

  // Locked: the credentials are stripped, so the PBX challenges as for a wrong password.
  size_t m = mark();
  deliver(registerRequest(creds), kAttacker);
  const Sent* reg = lastRequestTo(kPbx, "REGISTER", m);
  ASSERT_NE(reg, nullptr);
  EXPECT_FALSE(reg->msg->has(HeaderId::kAuthorization));

  // An unknown user (the PBX says 404) looks exactly like a wrong password.
  ResponseOptions nf;
  nf.reason = "No Such Extension";
  m = mark();
  deliver(replyTo(*reg->msg, 404, "pbx", nf), kPbx);
  EXPECT_TRUE(responsesTo(kAttacker, 404, m).empty());
  const Sent* decoy = lastResponseTo(kAttacker, 401, m);
  ASSERT_NE(decoy, nullptr);
  EXPECT_EQ(decoy->msg->reasonPhrase(), "Unauthorized");
  const std::string d = decoy->header(HeaderId::kWwwAuthenticate);
  EXPECT_NE(d.find("realm=\"asterisk\""), std::string::npos) << d;
  EXPECT_EQ(d.find("4f3a2b1c0d9e8f7a"), std::string::npos) << "a fresh nonce";
  EXPECT_EQ(d.size(), pbxChallenge.size());
}

TEST_F(PhonesTest, KeepAliveOptionsAreAnsweredAtTheNatAddress) {
  Request r;
  r.method = "OPTIONS";
  r.ruri = "sip:" + kPublicListener;
  r.via = "SIP/2.0/UDP 192.168.1.10:5060;rport;branch=z9hG4bK-ka-1";
  r.from = "<sip:201@" + kPublicListener + ">;tag=ka";
  r.to = "<sip:" + kPublicListener + ">";
  r.callId = "ka-1@192.168.1.10";
  const size_t m = mark();
  deliver(r, kPhone);
  const Sent* ok = lastResponseTo(kPhone, 200, m);
  ASSERT_NE(ok, nullptr) << "answered where the packet came from, not the private Via";
  EXPECT_TRUE(sentToZone(Zone::kPbx, m).empty()) << "keep-alives stay at the edge";
}

TEST_F(PhonesTest, PassThroughInviteCarriesTheCredentialsAndTheChallengeComesBack) {
  startPhones("pbx", "accounts:\n  lockout: { failures: 1, source_failures: 0 }\n");
  Caller a = phoneCaller();
  const std::string creds = "Digest username=\"201\", realm=\"asterisk\", nonce=\"abc\", uri=\"" +
                            a.ruri +
                            "\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5";
  a.inviteHeaders = {{"Proxy-Authorization", creds}};
  size_t m = mark();
  deliver(a.invite(), kPhone);
  const Sent* inv = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(inv, nullptr) << "the PBX authenticates in pbx mode";
  EXPECT_EQ(inv->header(HeaderId::kProxyAuthorization), creds);
  Callee pbx = calleeFor(inv, kPbx, "pbx-tag-1");
  const std::string challenge = "Digest realm=\"asterisk\", nonce=\"def\", algorithm=MD5";
  ResponseOptions no;
  no.headers = {{"Proxy-Authenticate", challenge}};
  m = mark();
  deliver(pbx.respond(407, no), kPbx);
  const Sent* relayed = lastResponseTo(kPhone, 407, m);
  ASSERT_NE(relayed, nullptr);
  EXPECT_EQ(relayed->header(HeaderId::kProxyAuthenticate), challenge);
  EXPECT_TRUE(auth_->lockout().isLocked("201", kPhone.address())) << "one failure locks here";

  // Locked: the next attempt goes without its credentials.
  deliver(a.ackNon2xx(relayed->toTag()), kPhone);
  a.inviteBranch.clear();
  a.inviteCseq = ++a.cseq;
  m = mark();
  deliver(a.invite(), kPhone);
  inv = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(inv, nullptr);
  EXPECT_FALSE(inv->msg->has(HeaderId::kProxyAuthorization));
}

TEST_F(PhonesTest, PassThroughRetryStaysInTheChallengedDialogAndDecoysCopyThePbx) {
  startPhones("pbx");
  Caller a = phoneCaller();
  size_t m = mark();
  deliver(a.invite(), kPhone);
  const Sent* first = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(first, nullptr);
  // This PBX challenges INVITEs with 401 (as sipp's verifyauth needs).
  const std::string challenge =
      "Digest realm=\"pbx.test\", nonce=\"0011223344556677\", qop=\"auth\", algorithm=MD5";
  ResponseOptions no;
  no.headers = {{"WWW-Authenticate", challenge}};
  Callee pbx = calleeFor(first, kPbx, "pbx-tag-1");
  m = mark();
  deliver(pbx.respond(401, no), kPbx);
  const Sent* relayed = lastResponseTo(kPhone, 401, m);
  ASSERT_NE(relayed, nullptr) << "the PBX's own code and header";
  EXPECT_EQ(relayed->header(HeaderId::kWwwAuthenticate), challenge);

  deliver(a.ackNon2xx(relayed->toTag()), kPhone);
  a.inviteBranch.clear();
  a.inviteCseq = ++a.cseq;
  a.inviteHeaders = {{"Authorization",
                      "Digest username=\"201\", realm=\"pbx.test\", "
                      "nonce=\"0011223344556677\", uri=\"" +
                          a.ruri +
                          "\", response=\"00\", qop=auth, nc=00000001, "
                          "cnonce=\"c\""}};
  m = mark();
  deliver(a.invite(), kPhone);
  const Sent* retry = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->msg->callId(), first->msg->callId()) << "the dialog the PBX challenged";
  EXPECT_EQ(retry->fromTag(), first->fromTag());
  EXPECT_EQ(retry->header(HeaderId::kCSeq), "2 INVITE");
  EXPECT_TRUE(retry->msg->has(HeaderId::kAuthorization));

  // An unknown extension (404) now looks like the PBX's challenge: same code, same form.
  Callee pbx2 = calleeFor(retry, kPbx, "pbx-tag-2");
  m = mark();
  deliver(pbx2.respond(404), kPbx);
  const Sent* decoy = lastResponseTo(kPhone, 401, m);
  ASSERT_NE(decoy, nullptr);
  const std::string d = decoy->header(HeaderId::kWwwAuthenticate);
  EXPECT_EQ(d.size(), challenge.size());
  EXPECT_NE(d.find("realm=\"pbx.test\""), std::string::npos);
  EXPECT_EQ(d.find("0011223344556677"), std::string::npos);
  deliver(a.ackNon2xx(decoy->toTag()), kPhone);
  expectAllGone();
}

TEST_F(PhonesTest, WrongCallCodesFromAPhoneCountAsFailedAuthentications) {
  // Each attempt authenticates with the right password, which forgets the failures of the
  // account from this source; the account-wide and per-source counters remain, and three wrong
  // codes reach both.
  bans_ = std::make_unique<guard::BanList>(clock_);
  startPhones("gateway",
              "accounts:\n  lockout: { failures: 3, account_failures: 3, source_failures: 3 }\n");
  // The UK needs a call code.
  config::PolicySettings s = nanpPolicy(/*allowDomestic=*/false);
  s.callCodePrefix = "*7";
  s.callCodeLength = 4;
  s.callCodes = {{"201", base::hashSecret("1234")}};
  s.callCodeMaxFailures = 100;  // the policy's own lock stays out of the way
  config::PolicyRule uk;
  uk.name = "uk-needs-code";
  uk.prefixes = {"+44"};
  uk.action = config::PolicyAction::kRequireCode;
  s.rules = {uk};
  std::string error;
  policy_ = guard::policy::CallPolicy::create(s, &error);
  ASSERT_NE(policy_, nullptr) << error;
  b2b_->setCallPolicy(policy_.get());

  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(auth_->lockout().isLocked("201", kPhone.address())) << "attempt " << i;
    EXPECT_FALSE(bans_->isBanned(kPhone.address(), clock_.now())) << "attempt " << i;
    Caller a = phoneCaller();
    a.callId = "code-" + std::to_string(i) + "@192.168.1.10";
    a.fromTag = "code-" + std::to_string(i);
    a.ruri = "sip:*79999011442079460000@" + kPublicListener;
    const size_t m = inviteThroughChallenge(a);
    const Sent* refused = lastResponseTo(kPhone, 403, m);
    ASSERT_NE(refused, nullptr) << "attempt " << i;
    deliver(a.ackNon2xx(refused->toTag()), kPhone);
    EXPECT_TRUE(requestsTo(kPbx, "INVITE", m).empty());
  }
  // The third wrong code locked the account and banned the source, as wrong passwords would.
  EXPECT_TRUE(auth_->lockout().isLocked("201", kAttacker.address()));
  EXPECT_TRUE(bans_->isBanned(kPhone.address(), clock_.now()));
  expectAllGone();
}

// Gateway mode with a PBX that challenges as well (it should trust the gateway): the phone gets
// the PBX's challenge and a fresh one of ours, answers both realms, and the PBX gets only the
// answer to its own, so the phone does not loop between two realms.
std::vector<std::string> headerFields(const Sent* s, HeaderId id) {
  std::vector<std::string> out;
  s->msg->forEach(id, [&](const sip::HeaderField& f) { out.emplace_back(f.value); });
  return out;
}

const std::string kPbxRealmChallenge =
    "Digest realm=\"asterisk\", nonce=\"4f3a2b1c0d9e8f7a\", algorithm=MD5, qop=\"auth\"";

// The PBX's challenge comes first and the gateway's own follows: returns the gateway's ("" if
// it is missing).
std::string besideThePbxs(const Sent* response, HeaderId id) {
  const std::vector<std::string> challenges = headerFields(response, id);
  EXPECT_GE(challenges.size(), 2u);
  if (challenges.empty() || challenges.front() != kPbxRealmChallenge) {
    ADD_FAILURE() << "the PBX's challenge is not first";
    return {};
  }
  for (const std::string& c : challenges) {
    if (c.find("realm=\"gw.example.com\"") != std::string::npos) return c;
  }
  return {};
}

std::string pbxRealmAnswer(const std::string& uri) {
  return "Digest username=\"201\", realm=\"asterisk\", nonce=\"4f3a2b1c0d9e8f7a\", uri=\"" + uri +
         "\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=auth, "
         "nc=00000001, cnonce=\"x1\"";
}

TEST_F(PhonesTest, GatewayModeRegisterChallengedByThePbxTooAsksForBothRealms) {
  const Sent* reg = registerThroughChallenge();
  ASSERT_NE(reg, nullptr);
  ResponseOptions no;
  no.headers = {{"WWW-Authenticate", kPbxRealmChallenge}};
  size_t m = mark();
  deliver(replyTo(*reg->msg, 401, "pbx", no), kPbx);
  const Sent* both = lastResponseTo(kPhone, 401, m);
  ASSERT_NE(both, nullptr);
  const std::string gatewayChallenge = besideThePbxs(both, HeaderId::kWwwAuthenticate);
  ASSERT_FALSE(gatewayChallenge.empty()) << "no challenge of the gateway's realm";

  // The retry answers both realms.
  auth::testing::Answer a;
  a.username = "201";
  a.password = kPassword;
  a.method = "REGISTER";
  a.uri = "sip:" + kPublicListener;
  Request retry = registerRequest(auth::testing::answer(gatewayChallenge, a));
  retry.headers.push_back({"Authorization", pbxRealmAnswer(a.uri)});
  m = mark();
  deliver(retry, kPhone);
  const Sent* relayed = lastRequestTo(kPbx, "REGISTER", m);
  ASSERT_NE(relayed, nullptr) << "the gateway accepted its realm's answer";
  EXPECT_EQ(headerFields(relayed, HeaderId::kAuthorization),
            std::vector<std::string>{pbxRealmAnswer(a.uri)})
      << "only the PBX's realm goes to the PBX";
}

TEST_F(PhonesTest, GatewayModeInviteChallengedByThePbxTooAsksForBothRealms) {
  Caller a = phoneCaller();
  size_t m = inviteThroughChallenge(a);
  const Sent* inv = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(inv, nullptr);
  const std::string bCallId(inv->msg->callId());

  Callee pbx = calleeFor(inv, kPbx, "pbx-tag-1");
  ResponseOptions no;
  no.headers = {{"Proxy-Authenticate", kPbxRealmChallenge}};
  m = mark();
  deliver(pbx.respond(407, no), kPbx);
  const Sent* both = lastResponseTo(kPhone, 407, m);
  ASSERT_NE(both, nullptr);
  const std::string gatewayChallenge = besideThePbxs(both, HeaderId::kProxyAuthenticate);
  ASSERT_FALSE(gatewayChallenge.empty()) << "no challenge of the gateway's realm";
  deliver(a.ackNon2xx(both->toTag()), kPhone);

  auth::testing::Answer ans;
  ans.username = "201";
  ans.password = kPassword;
  ans.method = "INVITE";
  ans.uri = a.ruri;
  a.inviteBranch.clear();
  a.inviteCseq = ++a.cseq;
  a.inviteHeaders = {{"Proxy-Authorization", auth::testing::answer(gatewayChallenge, ans)},
                     {"Proxy-Authorization", pbxRealmAnswer(a.ruri)}};
  m = mark();
  deliver(a.invite(), kPhone);
  const Sent* retry = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(retry, nullptr) << "the gateway accepted its realm's answer";
  EXPECT_EQ(headerFields(retry, HeaderId::kProxyAuthorization),
            std::vector<std::string>{pbxRealmAnswer(a.ruri)});
  EXPECT_EQ(retry->msg->callId(), bCallId) << "the retry goes on in the challenged dialog";
}

}  // namespace
}  // namespace tg::b2bua::testing
