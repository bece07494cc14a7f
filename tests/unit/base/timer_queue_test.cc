#include "base/timer_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tg::base {
namespace {

using std::chrono::milliseconds;

class TimerQueueTest : public testing::Test {
 protected:
  ManualClock clock_;
  TimerQueue timers_{clock_};
  std::vector<std::string> fired_;

  std::function<void()> record(std::string name) {
    return [this, name = std::move(name)] { fired_.push_back(name); };
  }
};

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock;
  const TimePoint start = clock.now();
  const SystemTime wallStart = clock.wallNow();
  EXPECT_EQ(clock.now(), start);
  clock.advance(milliseconds(1500));
  EXPECT_EQ(clock.now() - start, milliseconds(1500));
  EXPECT_EQ(clock.wallNow() - wallStart, milliseconds(1500));
  // Wall time looks like a real date, so records written under tests are plausible.
  EXPECT_GT(wallStart, SystemTime{} + std::chrono::hours(24 * 365 * 50));
}

TEST_F(TimerQueueTest, RunsInDeadlineOrder) {
  timers_.schedule(milliseconds(30), record("c"));
  timers_.schedule(milliseconds(10), record("a"));
  timers_.schedule(milliseconds(20), record("b"));
  EXPECT_EQ(timers_.pending(), 3u);
  EXPECT_EQ(timers_.runDue(), 0u);  // nothing due yet
  EXPECT_EQ(timers_.nextDeadline(), clock_.now() + milliseconds(10));

  clock_.advance(milliseconds(25));
  EXPECT_EQ(timers_.runDue(), 2u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(timers_.pending(), 1u);
  EXPECT_EQ(timers_.nextDeadline(), clock_.now() + milliseconds(5));

  clock_.advance(milliseconds(5));  // exactly at the deadline counts as due
  EXPECT_EQ(timers_.runDue(), 1u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(timers_.pending(), 0u);
  EXPECT_FALSE(timers_.nextDeadline());
}

TEST_F(TimerQueueTest, SameDeadlineRunsInScheduleOrder) {
  for (const char* name : {"1", "2", "3", "4"}) timers_.schedule(milliseconds(5), record(name));
  clock_.advance(milliseconds(5));
  EXPECT_EQ(timers_.runDue(), 4u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST_F(TimerQueueTest, ZeroDelayIsDueImmediately) {
  timers_.schedule(milliseconds(0), record("now"));
  EXPECT_EQ(timers_.runDue(), 1u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"now"}));
}

TEST_F(TimerQueueTest, IdsAreDistinctAndNeverNoTimer) {
  const TimerId a = timers_.schedule(milliseconds(1), [] {});
  const TimerId b = timers_.schedule(milliseconds(1), [] {});
  EXPECT_NE(a, kNoTimer);
  EXPECT_NE(b, kNoTimer);
  EXPECT_NE(a, b);
}

TEST_F(TimerQueueTest, CancelledTimersNeverRun) {
  const TimerId a = timers_.schedule(milliseconds(10), record("a"));
  timers_.schedule(milliseconds(20), record("b"));
  timers_.cancel(a);
  EXPECT_EQ(timers_.pending(), 1u);
  // The cancelled head no longer decides when the loop wakes up.
  EXPECT_EQ(timers_.nextDeadline(), clock_.now() + milliseconds(20));
  clock_.advance(milliseconds(30));
  EXPECT_EQ(timers_.runDue(), 1u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"b"}));
}

TEST_F(TimerQueueTest, CancelIsANoOpForUnknownFiredOrCancelledIds) {
  const TimerId a = timers_.schedule(milliseconds(1), record("a"));
  const TimerId b = timers_.schedule(milliseconds(50), record("b"));
  timers_.cancel(kNoTimer);
  timers_.cancel(12345);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(timers_.runDue(), 1u);
  timers_.cancel(a);  // already fired
  timers_.cancel(b);
  timers_.cancel(b);  // twice
  EXPECT_EQ(timers_.pending(), 0u);
  clock_.advance(milliseconds(100));
  EXPECT_EQ(timers_.runDue(), 0u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"a"}));
}

TEST_F(TimerQueueTest, CallbackMayScheduleMore) {
  // A retransmission-style chain: each firing arms the next with a doubled interval.
  int fires = 0;
  std::function<void(milliseconds)> arm = [&](milliseconds interval) {
    timers_.schedule(interval, [&, interval] {
      ++fires;
      if (fires < 4) arm(interval * 2);
    });
  };
  arm(milliseconds(500));
  clock_.advance(milliseconds(500));
  EXPECT_EQ(timers_.runDue(), 1u);  // the new timer is 1000 ms out, not due in this pass
  EXPECT_EQ(timers_.nextDeadline(), clock_.now() + milliseconds(1000));
  clock_.advance(milliseconds(1000));
  EXPECT_EQ(timers_.runDue(), 1u);
  clock_.advance(milliseconds(2000));
  EXPECT_EQ(timers_.runDue(), 1u);
  clock_.advance(milliseconds(4000));
  EXPECT_EQ(timers_.runDue(), 1u);
  EXPECT_EQ(fires, 4);
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(TimerQueueTest, CallbackMayCancelAnotherDueTimer) {
  TimerId b = kNoTimer;
  timers_.schedule(milliseconds(10), [&] {
    fired_.push_back("a");
    timers_.cancel(b);
  });
  b = timers_.schedule(milliseconds(10), record("b"));
  timers_.schedule(milliseconds(10), record("c"));
  clock_.advance(milliseconds(10));
  EXPECT_EQ(timers_.runDue(), 2u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"a", "c"}));
}

TEST_F(TimerQueueTest, CallbackMayCancelItself) {
  TimerId self = kNoTimer;
  self = timers_.schedule(milliseconds(1), [&] {
    fired_.push_back("self");
    timers_.cancel(self);  // already being run: a no-op
  });
  clock_.advance(milliseconds(1));
  EXPECT_EQ(timers_.runDue(), 1u);
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(TimerQueueTest, CallbackMayScheduleAndCancelInOnePass) {
  TimerId later = timers_.schedule(milliseconds(100), record("later"));
  timers_.schedule(milliseconds(10), [&] {
    timers_.cancel(later);
    later = timers_.schedule(milliseconds(5), record("replacement"));
  });
  clock_.advance(milliseconds(10));
  EXPECT_EQ(timers_.runDue(), 1u);
  clock_.advance(milliseconds(200));
  EXPECT_EQ(timers_.runDue(), 1u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"replacement"}));
}

TEST_F(TimerQueueTest, HeavyCancellationChurnKeepsOrderAndCounts) {
  std::vector<TimerId> ids;
  for (int i = 0; i < 5000; ++i) {
    ids.push_back(timers_.schedule(milliseconds(1000 + i), record(std::to_string(i))));
  }
  for (int i = 0; i < 5000; ++i) {
    if (i % 1000 != 7) timers_.cancel(ids[i]);
  }
  EXPECT_EQ(timers_.pending(), 5u);
  EXPECT_EQ(timers_.runDue(), 0u);  // compacts the heap; nothing is due
  EXPECT_EQ(timers_.nextDeadline(), clock_.now() + milliseconds(1007));
  clock_.advance(milliseconds(10000));
  EXPECT_EQ(timers_.runDue(), 5u);
  EXPECT_EQ(fired_, (std::vector<std::string>{"7", "1007", "2007", "3007", "4007"}));
}

TEST_F(TimerQueueTest, ExposesItsClock) { EXPECT_EQ(&timers_.clock(), &clock_); }

}  // namespace
}  // namespace tg::base
