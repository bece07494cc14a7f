// STIR/SHAKEN inside the B2BUA (admission filter `identity`): provider INVITEs signed by PyJWT
// (tests/unit/identity/sign_passport.py) with x5u on a loopback HTTPS server
// (x5u_server.py). The first call is deferred while its certificate is fetched on the
// verifier's thread and resumed on the worker; the second is served from the cache; the PBX
// leg's From carries ;verstat=; failures are rejected with the RFC 8224 code or tagged.

#include <condition_variable>
#include <deque>
#include <mutex>

#include "../identity/identity_test_files.h"
#include "b2bua_test_util.h"
#include "identity/identity_verifier.h"

namespace tg::b2bua::testing {
namespace {

using identity::testing::TestFiles;
using identity::testing::X5uServer;

class IdentityFlowTest : public B2buaTest {
 protected:
  static void SetUpTestSuite() {
    files_ = new TestFiles();
    if (files_->ok()) server_ = new X5uServer(*files_);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete files_;
  }
  void SetUp() override {}
  void TearDown() override {
    stop();
    verifier_.reset();
    B2buaTest::TearDown();
  }

  void startWith(const std::string& onFailed, const std::string& onMissing = "continue",
                 int fetchTimeoutMs = 2000) {
    ASSERT_TRUE(files_->ok());
    ASSERT_GT(server_->port(), 0);
    Options o;
    o.extraYaml = "identity:\n  enabled: true\n  trust_bundle: \"" + files_->path("trust.pem") +
                  "\"\n  fetch_ca_file: \"" + files_->path("server_ca.pem") +
                  "\"\n  allow_private_x5u: true\n  on_failed: " + onFailed +
                  "\n  on_missing: " + onMissing +
                  "\n  fetch_timeout_ms: " + std::to_string(fetchTimeoutMs) + "\n";
    start(o);
    auto trust = identity::TrustStore::fromFile(config_->identity.trustBundle);
    ASSERT_TRUE(trust);
    verifier_ = std::make_unique<identity::IdentityVerifier>(config_->identity, *trust);
    b2b_->setIdentityVerifier(verifier_.get(), [this](std::function<void()> fn) {
      std::lock_guard lock(mutex_);
      posted_.push_back(std::move(fn));
      wake_.notify_all();
    });
    b2b_->setEventSink(&events_);
  }

  // Runs what the fetch threads posted to "the worker" (this thread), waiting up to 5 s for it.
  bool runPosted() {
    std::function<void()> fn;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait_for(lock, std::chrono::seconds(5), [this] { return !posted_.empty(); })) {
        return false;
      }
      fn = std::move(posted_.front());
      posted_.pop_front();
    }
    fn();
    return true;
  }

  // The wall time the B2BUA's manual clock shows, for iat.
  int64_t wallSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
        .count();
  }

  std::string sign(const std::string& path, const std::string& orig) {
    const std::string command = "/usr/bin/python3 '" + std::string(TG_SOURCE_DIR) +
                                "/tests/unit/identity/sign_passport.py' '" +
                                files_->path("signer.key") + "' '" + server_->url(path) + "' " +
                                orig + " 493012345678 " + std::to_string(wallSeconds());
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
      char buf[512];
      while (size_t n = ::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
      ::pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    EXPECT_FALSE(out.empty()) << "sign_passport.py failed";
    return out;
  }

  Caller signedCaller(const std::string& path, const std::string& orig = "15550001111",
                      std::string callId = "in-call-1@carrier.example") {
    Caller a = providerCaller(kProvA, std::move(callId));
    a.inviteHeaders.emplace_back(
        "Identity", sign(path, orig) + ";info=<" + server_->url(path) + ">;alg=ES256;ppt=shaken");
    return a;
  }

  int served() {
    identity::FetchLimits l;
    l.allowPrivate = true;
    l.caFile = files_->path("server_ca.pem");
    return std::atoi(identity::fetchCertificate(server_->url("/count"), l).body.c_str());
  }

  static TestFiles* files_;
  static X5uServer* server_;
  std::unique_ptr<identity::IdentityVerifier> verifier_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> posted_;
  RecordingEvents events_;
};

TestFiles* IdentityFlowTest::files_ = nullptr;
X5uServer* IdentityFlowTest::server_ = nullptr;

TEST_F(IdentityFlowTest, FetchedOnceDeferredThenCachedAndVerstatReachesThePbx) {
  startWith("reject");
  const int before = served();
  Caller a = signedCaller("/chain.pem");
  size_t m = mark();
  deliver(a.invite(), a.peer);
  EXPECT_EQ(lastRequestTo(kPbx, "INVITE", m), nullptr) << "deferred while the chain is fetched";
  ASSERT_TRUE(runPosted()) << "the fetch never answered";
  const Sent* toPbx = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(toPbx, nullptr);
  EXPECT_NE(toPbx->header(HeaderId::kFrom).find(";verstat=TN-Validation-Passed@"),
            std::string::npos)
      << toPbx->header(HeaderId::kFrom);
  EXPECT_EQ(served(), before + 1);

  // The second call: the cache answers at once, nothing fetched.
  Caller b = signedCaller("/chain.pem", "15550001111", "in-call-2@carrier.example");
  m = mark();
  deliver(b.invite(), b.peer);
  toPbx = lastRequestTo(kPbx, "INVITE", m);
  ASSERT_NE(toPbx, nullptr) << "a cached certificate needs no deferral";
  EXPECT_NE(toPbx->header(HeaderId::kFrom).find(";verstat=TN-Validation-Passed@"),
            std::string::npos);
  EXPECT_EQ(served(), before + 1);
  EXPECT_EQ(verifier_->stats().cacheHits, 1u);
}

TEST_F(IdentityFlowTest, WrongCallerIsRejectedWith438AndAnEvent) {
  startWith("reject");
  Caller a = signedCaller("/chain.pem", "15559999999");  // signed for another number
  const size_t m = mark();
  deliver(a.invite(), a.peer);
  EXPECT_EQ(lastRequestTo(kPbx, "INVITE", m), nullptr);
  auto finals = finalsTo(a.peer, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 438);
  EXPECT_EQ(finals[0]->msg->reasonPhrase(), "Invalid Identity Header");
  ASSERT_FALSE(events_.events.empty());
  EXPECT_EQ(events_.events.back().rule, "identity.invalid");
  EXPECT_NE(events_.events.back().reason.find("orig 15559999999 is not the caller"),
            std::string::npos)
      << events_.events.back().reason;
}

TEST_F(IdentityFlowTest, FailureTaggedGoesOnWithThePrefixAndFailedVerstat) {
  startWith("tag");
  Caller a = signedCaller("/chain.pem", "15559999999");
  const Sent* toPbx = sendInvite(a, kPbx);
  ASSERT_NE(toPbx, nullptr);
  const std::string from = toPbx->header(HeaderId::kFrom);
  EXPECT_EQ(from.rfind("\"SPAM? \" <sip:+15550001111;verstat=TN-Validation-Failed@", 0), 0u)
      << from;
}

TEST_F(IdentityFlowTest, NoIdentityContinuesWithNoValidation) {
  startWith("reject", "continue");
  Caller a = providerCaller();
  const Sent* toPbx = sendInvite(a, kPbx);
  ASSERT_NE(toPbx, nullptr);
  EXPECT_NE(toPbx->header(HeaderId::kFrom).find(";verstat=No-TN-Validation@"), std::string::npos);
}

TEST_F(IdentityFlowTest, NoIdentityRejectedWith428WhenConfigured) {
  startWith("reject", "reject");
  Caller a = providerCaller();
  const size_t m = mark();
  deliver(a.invite(), a.peer);
  auto finals = finalsTo(a.peer, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 428);
}

TEST_F(IdentityFlowTest, FetchPastItsDeadlineGetsTheFailureAction) {
  startWith("reject", "continue", 300);
  Caller a = signedCaller("/slow/chain.pem");  // answers after 5 s
  const size_t m = mark();
  deliver(a.invite(), a.peer);
  EXPECT_TRUE(finalsTo(a.peer, m).empty());
  advance(400ms);  // the filter's own deadline: identity.fetch_timeout_ms
  auto finals = finalsTo(a.peer, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 436);
  EXPECT_EQ(lastRequestTo(kPbx, "INVITE", m), nullptr);
  // The late answer finds nothing parked: no second final answer, no INVITE to the PBX.
  ASSERT_TRUE(runPosted());
  EXPECT_EQ(finalsTo(a.peer, m).size(), 1u);
}

TEST_F(IdentityFlowTest, PbxCallsAreNotVerified) {
  startWith("reject", "reject");
  Caller a = pbxCaller();
  EXPECT_NE(sendInvite(a, kProvA), nullptr);
}

}  // namespace
}  // namespace tg::b2bua::testing
