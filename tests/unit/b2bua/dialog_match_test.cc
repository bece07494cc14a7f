// Issue 12 item 4: "in dialog" means a dialog of a live call (Call-ID and that leg's own To
// tag), not any To tag. The gateway asks knowsDialog() before its guard chain; a request with
// a forged or stale To tag is answered 481 and reported as a probe.

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class DialogMatchTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    b2b_->setUnknownDialogHandler(
        [this](const sip::Message& request, const transport::SendTarget& from) {
          reported_.emplace_back(std::string(request.methodText()), from.address);
        });
  }
  std::vector<std::pair<std::string, base::Address>> reported_;
};

TEST_F(DialogMatchTest, OnlyTheLegsOwnTagMakesARequestInDialog) {
  Established c = establishOutbound();
  EXPECT_TRUE(b2b_->knowsDialog(Zone::kPbx, c.a.callId, c.a.toTag));
  EXPECT_FALSE(b2b_->knowsDialog(Zone::kPbx, c.a.callId, "forged-tag"));
  EXPECT_FALSE(b2b_->knowsDialog(Zone::kPbx, c.a.callId, ""));
  EXPECT_FALSE(b2b_->knowsDialog(Zone::kPbx, "other-call@pbx", c.a.toTag));
  EXPECT_FALSE(b2b_->knowsDialog(Zone::kTrunk, c.a.callId, c.a.toTag)) << "another zone";
  const std::string bCallId(c.b.invite->callId());
  const std::string bTag(c.b.invite->from()->tag());
  EXPECT_TRUE(b2b_->knowsDialog(Zone::kTrunk, bCallId, bTag));
}

TEST_F(DialogMatchTest, AForgedToTagIsAnswered481AndReported) {
  Established c = establishOutbound();
  Caller forger = c.a;
  forger.toTag = "forged-tag";
  const size_t m = mark();
  deliver(forger.request("OPTIONS"), kPbx);
  EXPECT_EQ(codesTo(kPbx, m), std::vector<int>{481});
  EXPECT_TRUE(requestsTo(kProvA, "OPTIONS", m).empty()) << "nothing crosses";
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0].first, "OPTIONS");
  EXPECT_EQ(reported_[0].second, kPbx.address());
  EXPECT_EQ(b2b_->stats().unknownDialog, 1u);
  EXPECT_EQ(b2b_->callCount(), 1u) << "the real call goes on";

  // A To tag on a Call-ID nobody uses: the same.
  Caller stranger = c.a;
  stranger.callId = "no-such-call@pbx";
  stranger.toTag = "made-up";
  deliver(stranger.request("BYE"), kPbx);
  ASSERT_EQ(reported_.size(), 2u);
  EXPECT_EQ(reported_[1].first, "BYE");
}

}  // namespace
}  // namespace tg::b2bua::testing
