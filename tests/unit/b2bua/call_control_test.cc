// Call control (issue 11 item 4, issue 12 item 9): ending a call by its uuid with a typed cause,
// and the live calls a ban ends. Each ends both legs, writes one CDR with the cause's reason
// and is counted.

#include "b2bua/live_call_checks.h"
#include "b2bua_test_util.h"
#include "guard/ban/ban_list.h"

namespace tg::b2bua::testing {
namespace {

// Keeps the record of every ended call.
class EndedCalls final : public CallObserver {
 public:
  void onEnded(const CallRecord& call) override { records.push_back(call); }
  std::vector<CallRecord> records;
};

class CallControlTest : public B2buaTest {
 protected:
  void SetUp() override {
    start(Options{}, &cdrStore());
    b2b_->addObserver(&ended_);
  }

  EndedCalls ended_;
};

TEST_F(CallControlTest, EndByUuidByesBothLegsWithTheCauseInTheRecord) {
  Established c = establishOutbound();
  const std::string uuid = b2b_->activeCalls().at(0).uuid;
  const size_t m = mark();
  EXPECT_FALSE(b2b_->endCallByUuid("no-such-uuid", EndCause::kAdmin, "operator"));
  EXPECT_TRUE(b2b_->endCallByUuid(uuid, EndCause::kAdmin, "operator"));
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeA, nullptr);
  ASSERT_NE(byeB, nullptr);
  reply(byeA, kPbx, 200);
  reply(byeB, kProvA, 200);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].endCause, EndCause::kAdmin);
  EXPECT_EQ(ended_.records[0].endReason, "ended-by-gateway: operator");
  EXPECT_FALSE(b2b_->endCallByUuid(uuid, EndCause::kAdmin, "again"));
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].endReason, "ended-by-gateway: operator");
  expectAllGone();
}

// The media relay's inactivity timeout (media.timeout_s) ends a call through the same call
// control: BYE on both legs, cause media-timeout in the record and the CDR.
TEST_F(CallControlTest, AMediaTimeoutByesBothLegsWithItsCause) {
  establishOutbound();
  const std::string uuid = b2b_->activeCalls().at(0).uuid;
  const size_t m = mark();
  EXPECT_TRUE(b2b_->endCallByUuid(uuid, EndCause::kMediaTimeout,
                                  "media-timeout: no media in either direction"));
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeA, nullptr);
  ASSERT_NE(byeB, nullptr);
  reply(byeA, kPbx, 200);
  reply(byeB, kProvA, 200);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].endCause, EndCause::kMediaTimeout);
  EXPECT_EQ(endCauseName(ended_.records[0].endCause), "media-timeout");
  EXPECT_EQ(ended_.records[0].disposition, Disposition::kAnswered);
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].endReason, "ended-by-gateway: media-timeout: no media in either direction");
  expectAllGone();
}

TEST_F(CallControlTest, UuidsComeFromTheGenerator) {
  b2b_->setCallUuidGenerator([] { return std::string("worker-uuid-1"); });
  establishOutbound();
  EXPECT_EQ(b2b_->activeCalls().at(0).uuid, "worker-uuid-1");
}

// A call the caller already cancelled keeps ending as cancelled: a later end request neither
// answers A again nor rewrites the record.
TEST_F(CallControlTest, EndingACallThatIsAlreadyEndingChangesNothing) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  deliver(a.cancel(), kPbx);
  const size_t m = mark();
  EXPECT_FALSE(b2b_->endCall(b2b_->activeCalls().at(0).id, EndCause::kBanned, "late"));
  EXPECT_TRUE(finalsTo(kPbx, m).empty());
  const Sent* cancel = lastRequestTo(kProvA, "CANCEL");
  ASSERT_NE(cancel, nullptr);
  reply(cancel, kProvA, 200, {}, b.tag);
  deliver(b.respond(487), kProvA);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].disposition, Disposition::kCancelled);
  EXPECT_EQ(ended_.records[0].endCause, EndCause::kNone);
}

TEST_F(CallControlTest, ABanEndsTheLiveCallsOfThatSourceAndCountsThem) {
  guard::BanList bans(clock_);
  LiveCallChecks checks(bans, nullptr);
  Established c = establishOutbound();
  EXPECT_EQ(checks.sweep(*b2b_, clock_.now()), 0u) << "nothing banned";

  // A ban elsewhere leaves the call alone.
  ASSERT_TRUE(
      bans.ban(addr("198.51.100.7", 5060), "scanner", "test", guard::BanOrigin::kAuto, clock_.now())
          .banned());
  EXPECT_EQ(checks.sweep(*b2b_, clock_.now()), 0u);
  EXPECT_EQ(b2b_->callCount(), 1u);

  const size_t m = mark();
  ASSERT_TRUE(
      bans.ban(kPbx.address(), "manual", "test", guard::BanOrigin::kManual, clock_.now()).banned());
  EXPECT_EQ(checks.sweep(*b2b_, clock_.now()), 1u);
  const Sent* byeA = lastRequestTo(kPbx, "BYE", m);
  const Sent* byeB = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(byeA, nullptr);
  ASSERT_NE(byeB, nullptr);
  reply(byeB, kProvA, 200);
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(b2b_->stats().endedBanned, 1u);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].endCause, EndCause::kBanned);
  EXPECT_EQ(ended_.records[0].endReason, "ended-by-gateway: source banned (127.0.0.1)");
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].endReason, "ended-by-gateway: source banned (127.0.0.1)");
  EXPECT_EQ(rows[0].disposition, "answered");
}

TEST_F(CallControlTest, ABanBeforeTheAnswerEndsTheCallWith480AndCancel) {
  guard::BanList bans(clock_);
  LiveCallChecks checks(bans, nullptr);
  Caller a = providerCaller();
  const Sent* inv = sendInvite(a, kPbx);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv, kPbx);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  ASSERT_TRUE(bans.ban(kProvA.address(), "manual", "test", guard::BanOrigin::kManual, clock_.now())
                  .banned());
  const size_t m = mark();
  EXPECT_EQ(checks.sweep(*b2b_, clock_.now()), 1u);
  auto finals = finalsTo(kProvA, m);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0]->msg->statusCode(), 480);
  const Sent* cancel = lastRequestTo(kPbx, "CANCEL", m);
  ASSERT_NE(cancel, nullptr);
  reply(cancel, kPbx, 200, {}, b.tag);
  deliver(b.respond(487), kPbx);
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(b2b_->stats().endedBanned, 1u);
  ASSERT_EQ(ended_.records.size(), 1u);
  EXPECT_EQ(ended_.records[0].endCause, EndCause::kBanned);
  EXPECT_EQ(ended_.records[0].disposition, Disposition::kFailed);
}

// Issue 21: a callee that answers the CANCEL 200 and never sends its 487. A has had its 487:
// the CDR ends then, not 64*T1 later when B's INVITE is given up (and never, had the gateway
// stopped in between).
TEST_F(CallControlTest, ACancelWhoseCalleeNeverSends487EndsTheRecordAtOnce) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  deliver(a.cancel(), kPbx);
  const Sent* cancel = lastRequestTo(kProvA, "CANCEL");
  ASSERT_NE(cancel, nullptr);
  reply(cancel, kProvA, 200, {}, b.tag);
  ASSERT_EQ(ended_.records.size(), 1u) << "the record ends with A's 487";
  EXPECT_EQ(ended_.records[0].disposition, Disposition::kCancelled);
  EXPECT_EQ(ended_.records[0].sipCode, 487);
  EXPECT_EQ(b2b_->callCount(), 1u) << "B's INVITE still winds down";
  cdrStore().flush();
  auto rows = cdrStore().recent(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].disposition, "cancelled");
  EXPECT_TRUE(rows[0].endTime.has_value());

  advance(64 * t1() + 100ms);
  EXPECT_EQ(b2b_->callCount(), 0u);
  EXPECT_EQ(ended_.records.size(), 1u) << "one record per call";
  expectAllGone();
}

// SIGTERM (Server::stop): endCallsWhere, then after the grace period endAllAtShutdown. A
// ringing call whose callee ignores the CANCEL gets its end at the first; a call nobody ended
// (here: no endCallsWhere) at the second. Each has exactly one record, cause shutdown.
TEST_F(CallControlTest, EveryCallStillLiveAtShutdownGetsAnEnd) {
  Caller a = pbxCaller();
  const Sent* inv = sendInvite(a);
  ASSERT_NE(inv, nullptr);
  Callee b = calleeFor(inv);
  ASSERT_NE(calleeSends(a, b, 180), nullptr);
  EXPECT_EQ(
      b2b_->endCallsWhere([](const Call&) { return "gateway shutting down"; }, EndCause::kShutdown),
      1u);
  ASSERT_EQ(ended_.records.size(), 1u) << "A was answered 480: the record ends then";
  EXPECT_EQ(ended_.records[0].endCause, EndCause::kShutdown);
  EXPECT_EQ(ended_.records[0].disposition, Disposition::kFailed);
  EXPECT_EQ(b2b_->callCount(), 1u) << "the callee has not answered the CANCEL";

  Caller a2 = pbxCaller("a-call-2@pbx.example.com");
  const Sent* inv2 = sendInvite(a2);
  ASSERT_NE(inv2, nullptr);
  Callee b2 = calleeFor(inv2);
  ASSERT_NE(calleeSends(a2, b2, 180), nullptr);
  EXPECT_EQ(b2b_->endAllAtShutdown(), 2u);
  EXPECT_EQ(b2b_->callCount(), 0u);
  ASSERT_EQ(ended_.records.size(), 2u);
  EXPECT_EQ(ended_.records[1].endCause, EndCause::kShutdown);
  EXPECT_EQ(ended_.records[1].disposition, Disposition::kFailed);
  EXPECT_EQ(ended_.records[1].endReason, "ended-by-gateway: gateway shutting down");
  cdrStore().flush();
  for (const auto& row : cdrStore().recent(2)) {
    EXPECT_NE(row.disposition, "in-progress");
    EXPECT_TRUE(row.endTime.has_value());
  }
}

}  // namespace
}  // namespace tg::b2bua::testing
