#include "trunk/registration.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <sstream>

#include "../common/test_helpers.h"
#include "base/log.h"
#include "sip/auth_header.h"
#include "sip/builder.h"

namespace tg::trunk {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using tg::testing::addr;

constexpr const char* kSecret = "s3cret-Pa55word";

struct Sent {
  std::unique_ptr<sip::Message> request;
  transport::SendTarget target;
  uint64_t tag;
};

class FakeTransport final : public RegistrationTransport {
 public:
  FakeTransport() {
    local_.zone = transport::Zone::kTrunk;
    local_.address = addr("127.0.0.1", 5062);
  }
  void sendRequest(std::string bytes, std::string_view, const transport::SendTarget& target,
                   uint64_t ownerTag) override {
    sent.push_back({tg::testing::parse(std::move(bytes)), target, ownerTag});
  }
  const transport::LocalEndpoint* localEndpoint(transport::Zone, config::TransportKind) override {
    return &local_;
  }
  std::vector<Sent> sent;

 private:
  transport::LocalEndpoint local_;
};

config::ConfigPtr makeConfig(int expires = 120) {
  auto c = std::make_shared<config::Config>();
  config::Provider p;
  p.name = "carrier";
  p.target.host = "carrier.test";
  p.target.transport = config::TransportKind::kUdp;
  p.auth.enabled = true;
  p.auth.username = "trunk1";
  p.auth.password = config::Secret(kSecret);
  p.auth.registerEnabled = true;
  p.auth.expires = seconds(expires);
  c->trunk.providers.push_back(p);
  config::Provider ipAuth;  // IP-authenticated: never registers
  ipAuth.name = "other";
  ipAuth.target.host = "192.0.2.50";
  c->trunk.providers.push_back(ipAuth);
  return c;
}

class RegistrationTest : public ::testing::Test {
 protected:
  RegistrationTest() : timers_(clock_) {}
  void start(config::ConfigPtr config = makeConfig()) {
    config_ = config;
    client_ = std::make_unique<RegistrationClient>(
        timers_, transport_,
        [this](const config::PeerTarget& p, TargetResolver::Callback done) {
          resolved_.push_back(p.host);
          Resolution r;
          for (const std::string& a : addresses_) {
            transport::SendTarget t;
            t.zone = transport::Zone::kTrunk;
            t.address = addr(a.substr(0, a.find(':')), 5060);
            r.targets.push_back(t);
          }
          if (r.targets.empty()) r.error = "cannot resolve " + p.host;
          done(r);
        },
        [] { return std::string("reg-call-id"); }, 1, timing_);
    client_->setOnChange([this](const RegistrationStatus& s) { states_.push_back(s.state); });
    client_->configure(config_);
  }
  const Sent& last() { return transport_.sent.back(); }
  // Answers the last REGISTER.
  void answer(int code, std::vector<std::pair<std::string, std::string>> headers = {}) {
    const Sent& s = last();
    auto b = sip::responseTo(*s.request, code, {}, code > 100 ? "totag" : "");
    for (auto& [n, v] : headers) b.header(n, v);
    auto response = tg::testing::parse(b.build());
    client_->onResponse(s.tag, *response);
  }
  void challenge(std::string_view extra = "") {
    answer(401, {{"WWW-Authenticate",
                  "Digest realm=\"carrier.test\", nonce=\"abc123\", "
                  "qop=\"auth\", algorithm=SHA-256" +
                      std::string(extra)}});
  }
  RegistrationState state() { return client_->status().at(0).state; }
  void advance(base::Duration d) {
    clock_.advance(d);
    timers_.runDue();
  }

  base::ManualClock clock_;
  base::TimerQueue timers_;
  FakeTransport transport_;
  RegistrationTiming timing_;
  std::vector<std::string> addresses_ = {"192.0.2.10"};
  std::vector<std::string> resolved_;
  std::vector<RegistrationState> states_;
  config::ConfigPtr config_;
  std::unique_ptr<RegistrationClient> client_;
};

TEST_F(RegistrationTest, RegistersAfterAnsweringTheChallenge) {
  start();
  ASSERT_EQ(transport_.sent.size(), 1u);  // only the provider with register: true
  EXPECT_EQ(client_->status().size(), 1u);
  const sip::Message& first = *last().request;
  EXPECT_EQ(first.methodText(), "REGISTER");
  EXPECT_EQ(first.requestUriText(), "sip:carrier.test");
  EXPECT_EQ(first.value(sip::HeaderId::kTo), "<sip:trunk1@carrier.test>");
  EXPECT_EQ(first.value(sip::HeaderId::kExpires), "120");
  EXPECT_EQ(first.value(sip::HeaderId::kContact), "<sip:trunk1@127.0.0.1:5062>");
  EXPECT_FALSE(first.has(sip::HeaderId::kAuthorization));
  EXPECT_NE(last().tag, 0u);
  EXPECT_EQ(state(), RegistrationState::kRegistering);

  challenge();
  ASSERT_EQ(transport_.sent.size(), 2u);
  const sip::Message& second = *last().request;
  EXPECT_EQ(second.cseq()->number, first.cseq()->number + 1);
  EXPECT_EQ(second.callId(), "reg-call-id");
  EXPECT_EQ(second.from()->tag(), first.from()->tag());
  ASSERT_TRUE(second.has(sip::HeaderId::kAuthorization));
  auto cred = sip::parseCredentials(second.value(sip::HeaderId::kAuthorization));
  ASSERT_TRUE(cred.ok());
  EXPECT_EQ(cred->username.view(), "trunk1");
  EXPECT_EQ(cred->algorithm.view(), "SHA-256");
  EXPECT_EQ(cred->nc.view(), "00000001");
  // The response is the RFC 7616 computation for these inputs.
  sip::DigestInputs in;
  in.algorithm = sip::DigestAlgorithm::kSha256;
  in.username = "trunk1";
  in.realm = "carrier.test";
  in.password = kSecret;
  in.method = "REGISTER";
  in.uri = "sip:carrier.test";
  in.nonce = "abc123";
  in.nc = "00000001";
  const std::string cnonce = cred->cnonce.str();
  in.cnonce = cnonce;
  in.qop = sip::DigestQop::kAuth;
  EXPECT_EQ(cred->response.view(), sip::computeResponse(in));

  answer(200, {{"Contact", "<sip:trunk1@127.0.0.1:5062>;expires=100"}});
  EXPECT_EQ(state(), RegistrationState::kRegistered);
  const RegistrationStatus s = client_->status()[0];
  EXPECT_EQ(s.granted, seconds(100));  // the Contact's expires wins over what we asked
  EXPECT_EQ(s.expiresAt, clock_.now() + seconds(100));
  EXPECT_EQ(s.registrar, "192.0.2.10:5060");
  EXPECT_TRUE(s.lastError.empty());
}

TEST_F(RegistrationTest, RefreshesAtEightyPercentReusingTheNonce) {
  start();
  challenge();
  answer(200, {{"Expires", "100"}});
  const size_t sent = transport_.sent.size();
  advance(seconds(79));
  EXPECT_EQ(transport_.sent.size(), sent);
  advance(seconds(1));
  ASSERT_EQ(transport_.sent.size(), sent + 1);
  EXPECT_EQ(state(), RegistrationState::kRefreshing);
  auto cred = sip::parseCredentials(last().request->value(sip::HeaderId::kAuthorization));
  ASSERT_TRUE(cred.ok());
  EXPECT_EQ(cred->nc.view(), "00000002");  // same nonce, next count (RFC 7616 §3.4)
  // A new nonce for the refresh is answered, once.
  answer(401, {{"WWW-Authenticate", "Digest realm=\"carrier.test\", nonce=\"fresh\", qop=auth"}});
  auto again = sip::parseCredentials(last().request->value(sip::HeaderId::kAuthorization));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->nonce.view(), "fresh");
  answer(200, {{"Expires", "100"}});
  EXPECT_EQ(state(), RegistrationState::kRegistered);
  EXPECT_EQ(client_->status()[0].successes, 2u);
}

TEST_F(RegistrationTest, RefreshDelayHasAFloor) {
  start();
  EXPECT_EQ(client_->refreshDelay(seconds(3600)), seconds(2880));
  EXPECT_EQ(client_->refreshDelay(seconds(2)), seconds(5));
}

TEST_F(RegistrationTest, WrongPasswordFailsAfterOneAnswerAndBacksOff) {
  start();
  challenge();
  challenge();  // the same challenge again: the credentials were refused
  EXPECT_EQ(state(), RegistrationState::kFailed);
  const RegistrationStatus s = client_->status()[0];
  EXPECT_NE(s.lastError.find("rejected the credentials"), std::string::npos) << s.lastError;
  EXPECT_EQ(s.lastError.find(kSecret), std::string::npos);
  EXPECT_EQ(s.consecutiveFailures, 1);
  // First back-off: between 1 and 2 s (2 s base, equal jitter).
  const size_t sent = transport_.sent.size();
  advance(milliseconds(999));
  EXPECT_EQ(transport_.sent.size(), sent);
  advance(milliseconds(1001));
  EXPECT_EQ(transport_.sent.size(), sent + 1);
  EXPECT_FALSE(last().request->has(sip::HeaderId::kAuthorization));  // starts over cleanly
}

TEST_F(RegistrationTest, StaleNonceIsAnsweredAgain) {
  start();
  challenge();
  challenge(", stale=true");
  EXPECT_EQ(state(), RegistrationState::kRegistering);
  EXPECT_TRUE(last().request->has(sip::HeaderId::kAuthorization));
  answer(200);
  EXPECT_EQ(state(), RegistrationState::kRegistered);
  EXPECT_EQ(client_->status()[0].granted, seconds(120));  // nothing granted: what we asked
}

TEST_F(RegistrationTest, BackoffDoublesWithJitterUpToTheCap) {
  start();
  for (int failures = 1; failures <= 12; ++failures) {
    base::Duration nominal = timing_.retryBase;
    for (int i = 1; i < failures; ++i) nominal = std::min(nominal * 2, timing_.retryCap);
    for (int draw = 0; draw < 20; ++draw) {
      const base::Duration d = client_->backoff(failures);
      EXPECT_GE(d, nominal / 2) << failures;
      EXPECT_LE(d, nominal) << failures;
    }
  }
  EXPECT_LE(client_->backoff(40), timing_.retryCap);
}

TEST_F(RegistrationTest, ErrorsAreRetriedWithGrowingDelay) {
  start();
  answer(403);
  EXPECT_EQ(state(), RegistrationState::kFailed);
  EXPECT_NE(client_->status()[0].lastError.find("403"), std::string::npos);
  advance(seconds(2));
  answer(403);
  EXPECT_EQ(client_->status()[0].consecutiveFailures, 2);
  const size_t sent = transport_.sent.size();
  advance(milliseconds(1999));  // second back-off: 2..4 s
  EXPECT_EQ(transport_.sent.size(), sent);
  advance(milliseconds(2001));
  EXPECT_EQ(transport_.sent.size(), sent + 1);
  challenge();
  answer(200);
  EXPECT_EQ(state(), RegistrationState::kRegistered);
  EXPECT_EQ(client_->status()[0].consecutiveFailures, 0);
  // Every change was reported.
  EXPECT_EQ(states_.front(), RegistrationState::kRegistering);
  EXPECT_EQ(states_.back(), RegistrationState::kRegistered);
}

TEST_F(RegistrationTest, TimeoutFailsOverToTheNextAddress) {
  addresses_ = {"192.0.2.10", "192.0.2.11"};
  start();
  EXPECT_EQ(last().target.address.toString(), "192.0.2.10:5060");
  client_->onFailure(last().tag, false);
  EXPECT_EQ(state(), RegistrationState::kFailed);
  EXPECT_NE(client_->status()[0].lastError.find("no answer"), std::string::npos);
  advance(seconds(2));
  EXPECT_EQ(last().target.address.toString(), "192.0.2.11:5060");
}

TEST_F(RegistrationTest, IntervalTooBriefAsksAgainWithMinExpires) {
  start();
  answer(423, {{"Min-Expires", "600"}});
  EXPECT_EQ(last().request->value(sip::HeaderId::kExpires), "600");
  EXPECT_EQ(state(), RegistrationState::kRegistering);
}

TEST_F(RegistrationTest, LateAndForeignResponsesAreIgnored) {
  start();
  const uint64_t oldTag = last().tag;
  challenge();
  auto stray = tg::testing::parse(sip::responseTo(*last().request, 200, {}, "x").build());
  client_->onResponse(oldTag, *stray);  // the first transaction is answered already
  EXPECT_EQ(state(), RegistrationState::kRegistering);
  client_->onResponse(0xfff0000, *stray);
  EXPECT_EQ(state(), RegistrationState::kRegistering);
}

TEST_F(RegistrationTest, UnresolvableRegistrarIsAFailure) {
  addresses_.clear();
  start();
  EXPECT_EQ(state(), RegistrationState::kFailed);
  EXPECT_NE(client_->status()[0].lastError.find("carrier.test"), std::string::npos);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(RegistrationTest, RegistrarOverridesTheDestination) {
  auto c = std::const_pointer_cast<config::Config>(makeConfig());
  c->trunk.providers[0].auth.registrarHost = "reg.carrier.test";
  c->trunk.providers[0].auth.registrarPort = 5099;
  start(c);
  ASSERT_EQ(resolved_.size(), 1u);
  EXPECT_EQ(resolved_[0], "reg.carrier.test");
  EXPECT_EQ(last().request->requestUriText(), "sip:reg.carrier.test");
}

TEST_F(RegistrationTest, ReloadKeepsAnUnchangedRegistration) {
  start();
  challenge();
  answer(200);
  const size_t sent = transport_.sent.size();
  client_->configure(makeConfig());  // same settings
  EXPECT_EQ(transport_.sent.size(), sent);
  EXPECT_EQ(state(), RegistrationState::kRegistered);
  auto changed = std::const_pointer_cast<config::Config>(makeConfig());
  changed->trunk.providers[0].auth.username = "trunk2";
  client_->configure(changed);
  EXPECT_EQ(transport_.sent.size(), sent + 1);  // starts over with the new user
  EXPECT_EQ(last().request->value(sip::HeaderId::kTo), "<sip:trunk2@carrier.test>");
}

TEST_F(RegistrationTest, ShutdownRemovesTheBinding) {
  start();
  challenge();
  answer(200);
  const size_t sent = transport_.sent.size();
  client_->unregisterAll();
  ASSERT_EQ(transport_.sent.size(), sent + 1);
  EXPECT_EQ(last().request->value(sip::HeaderId::kExpires), "0");
  EXPECT_TRUE(last().request->has(sip::HeaderId::kAuthorization));
  EXPECT_EQ(state(), RegistrationState::kUnregistered);
  advance(seconds(3600));
  EXPECT_EQ(transport_.sent.size(), sent + 1) << "no refresh after shutdown";
}

// The secret never reaches a log line, whatever happens.
TEST_F(RegistrationTest, SecretIsNeverLogged) {
  std::ostringstream captured;
  log::Settings settings;
  settings.level = "trace";
  log::init(settings, std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  start();
  challenge();
  challenge();  // failure path
  advance(seconds(2));
  challenge();
  answer(200);
  advance(seconds(200));
  log::init(log::Settings{}, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  const std::string text = captured.str();
  EXPECT_NE(text.find("carrier"), std::string::npos) << "nothing was logged";
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
}

}  // namespace
}  // namespace tg::trunk
