#include "auth/failure_watcher.h"

#include <gtest/gtest.h>

#include <string>

#include "base/clock.h"

namespace tg::auth {
namespace {

using namespace std::chrono_literals;
using Verdict = FailureWatcher::Verdict;

const base::Address kAttacker = *base::Address::parse("203.0.113.9", 5060);
const base::Address kPhone = *base::Address::parse("198.51.100.7", 5060);
constexpr std::string_view kCreds =
    "Digest username=\"201\", realm=\"pbx\", nonce=\"abc\", uri=\"sip:pbx\", "
    "response=\"0123456789abcdef0123456789abcdef\"";
constexpr std::string_view kRequestUri = "sip:pbx";

LockoutPolicy policy() {
  LockoutPolicy p;
  p.failures = 3;
  p.sourceFailures = 0;
  return p;
}

TEST(FailureWatcherTest, ChallengesAfterCredentialsCountAndLock) {
  base::ManualClock clock;
  Lockout lockout(clock, policy());
  FailureWatcher w(clock, lockout);
  for (int i = 0; i < 3; ++i) {
    const std::string key = "call-" + std::to_string(i);
    EXPECT_EQ(w.onRequest(key, kCreds, kAttacker, kRequestUri), Verdict::kRelay);
    w.onFinalResponse(key, i == 2 ? 403 : 401);
  }
  EXPECT_TRUE(lockout.isLocked("201", kAttacker));
  EXPECT_FALSE(lockout.isLocked("201", kPhone));
  // Locked: the PBX gets the request without credentials and re-challenges, as for a wrong
  // password.
  EXPECT_EQ(w.onRequest("call-9", kCreds, kAttacker, kRequestUri), Verdict::kStripCredentials);
  EXPECT_EQ(w.onRequest("call-10", kCreds, kPhone, kRequestUri), Verdict::kRelay);
}

TEST(FailureWatcherTest, SuccessStaleAndUncredentialedRequestsDoNotCount) {
  base::ManualClock clock;
  Lockout lockout(clock, policy());
  FailureWatcher w(clock, lockout);
  for (int i = 0; i < 5; ++i) {
    const std::string key = "k" + std::to_string(i);
    w.onRequest(key, kCreds, kPhone, kRequestUri);
    w.onFinalResponse(key, 401, "Digest realm=\"pbx\", nonce=\"n2\", stale=true");
    w.onRequest("nocreds" + key, "", kPhone, kRequestUri);
    w.onFinalResponse("nocreds" + key, 401);  // the first, credential-less REGISTER
  }
  EXPECT_FALSE(lockout.isLocked("201", kPhone));
  EXPECT_EQ(w.pending(), 0u);
  // Two failures, a success, two failures: the success cleared the window.
  for (int status : {401, 401, 200, 401, 401}) {
    w.onRequest("x", kCreds, kPhone, kRequestUri);
    w.onFinalResponse("x", status);
  }
  EXPECT_FALSE(lockout.isLocked("201", kPhone));
  w.onFinalResponse("unknown-key", 401);  // nothing pending: ignored
}

TEST(FailureWatcherTest, PendingRequestsAreBoundedAndExpire) {
  base::ManualClock clock;
  Lockout lockout(clock, policy());
  FailureWatcher w(clock, lockout, 100, 32s);
  for (int i = 0; i < 1000; ++i) {
    w.onRequest("k" + std::to_string(i), kCreds, kAttacker, kRequestUri);
  }
  EXPECT_EQ(w.pending(), 100u);
  clock.advance(32s);
  w.expire();
  EXPECT_EQ(w.pending(), 0u);
}

// Issue 12 item 6 in pass-through mode: the PBX never sees the phone's Request-URI, so the
// gateway compares it with uri= before relaying.
TEST(FailureWatcherTest, AnswerForAnotherRequestUriIsRefusedAndCounted) {
  base::ManualClock clock;
  Lockout lockout(clock, policy());
  FailureWatcher w(clock, lockout);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(w.onRequest("r" + std::to_string(i), kCreds, kAttacker, "sip:+900555@pbx"),
              Verdict::kRefuseUriMismatch);
  }
  EXPECT_EQ(w.pending(), 0u);
  EXPECT_TRUE(lockout.isLocked("201", kAttacker));
  EXPECT_EQ(w.onRequest("ok", kCreds, kPhone, kRequestUri), Verdict::kRelay);
}

}  // namespace
}  // namespace tg::auth
