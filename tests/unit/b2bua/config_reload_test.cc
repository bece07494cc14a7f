// Configuration reload (B2bua::updateConfig): "new calls use it; calls in progress keep their
// legs."

#include "b2bua_test_util.h"

namespace tg::b2bua::testing {
namespace {

class ConfigReloadTest : public B2buaTest {};

TEST_F(ConfigReloadTest, CallInProgressKeepsItsLegs) {
  Established c = establishOutbound();
  Options swapped;
  swapped.providerBPriority = 1;  // provider B first from now on
  b2b_->updateConfig(loadConfig(swapped));
  const size_t m = mark();
  deliver(c.a.request("BYE"), kPbx);
  const Sent* bye = lastRequestTo(kProvA, "BYE", m);
  ASSERT_NE(bye, nullptr);
  EXPECT_TRUE(requestsTo(kProvB, "BYE", m).empty());
  reply(bye, kProvA, 200);
  expectAllGone();
}

TEST_F(ConfigReloadTest, NewCallsUseTheReloadedConfig) {
  Options swapped;
  swapped.providerBPriority = 1;
  b2b_->updateConfig(loadConfig(swapped));
  Caller a = pbxCaller();
  EXPECT_NE(sendInvite(a, kProvB), nullptr);
  EXPECT_TRUE(requestsTo(kProvA, "INVITE").empty());
}

// A call routed before a reload that reordered the providers fails over to the provider that
// was next in its own list (provider B), not to the one that just refused it.
TEST_F(ConfigReloadTest, FailoverAfterAReorderingReloadGoesToTheOtherProvider) {
  Caller a = pbxCaller();
  const Sent* invA = sendInvite(a, kProvA);
  ASSERT_NE(invA, nullptr);
  Options swapped;
  swapped.providerBPriority = 1;  // the list is now [carrier-b, carrier-a]
  b2b_->updateConfig(loadConfig(swapped));
  const size_t m = mark();
  deliver(calleeFor(invA).respond(503), kProvA);
  EXPECT_TRUE(requestsTo(kProvA, "INVITE", m).empty())
      << "failed over to carrier-a, the provider that just answered 503";
  EXPECT_NE(lastRequestTo(kProvB, "INVITE", m), nullptr);
}

// The same with a reload that removed provider B: the call's remaining candidate index (1) no
// longer exists in the new provider list. Run in a child process: the out-of-bounds access it
// documents aborts under AddressSanitizer.
class ConfigReloadDeathTest : public ConfigReloadTest {};

TEST_F(ConfigReloadDeathTest, FailoverAfterAReloadThatRemovedAProviderIsSafe) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Caller a = pbxCaller();
        const Sent* invA = sendInvite(a, kProvA);
        if (invA == nullptr) std::_Exit(2);
        Options onlyA;
        onlyA.withProviderB = false;
        b2b_->updateConfig(loadConfig(onlyA));
        deliver(calleeFor(invA).respond(503), kProvA);
        // Provider B is gone: A gets the 503 (or B is still tried), but nothing crashes.
        std::_Exit(finalsTo(kPbx).size() == 1 || lastRequestTo(kProvB, "INVITE") != nullptr ? 0
                                                                                            : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace tg::b2bua::testing
