// guard/ban/blocklist_fetcher.h: the back-off schedule, and the pull thread with an injected
// download (millisecond intervals; every wait is a poll with a generous deadline, so a slow
// sanitizer build passes too).

#include "guard/ban/blocklist_fetcher.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace tg::guard {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST(PullBackoffTest, FailuresRetrySoonerAndDoubleUpToTheInterval) {
  PullBackoff b(3600s);
  EXPECT_EQ(b.current(), milliseconds(3600s));
  EXPECT_EQ(b.afterFailure(), milliseconds(60s));
  EXPECT_EQ(b.afterFailure(), milliseconds(120s));
  EXPECT_EQ(b.afterFailure(), milliseconds(240s));
  EXPECT_EQ(b.afterFailure(), milliseconds(480s));
  EXPECT_EQ(b.afterFailure(), milliseconds(960s));
  EXPECT_EQ(b.afterFailure(), milliseconds(1920s));
  EXPECT_EQ(b.afterFailure(), milliseconds(3600s));  // capped
  for (int i = 0; i < 100; ++i) b.afterFailure();    // no overflow however long it lasts
  EXPECT_EQ(b.current(), milliseconds(3600s));
  EXPECT_EQ(b.afterSuccess(), milliseconds(3600s));
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.afterFailure(), milliseconds(60s));  // starts over
}

TEST(PullBackoffTest, AShortIntervalIsNeverExceeded) {
  PullBackoff b(10s);
  EXPECT_EQ(b.afterFailure(), milliseconds(10s));
  EXPECT_EQ(b.afterFailure(), milliseconds(10s));
  b.setInterval(7200s);
  EXPECT_EQ(b.afterFailure(), milliseconds(240s));  // third failure in a row
}

// Serves scripted answers per URL; when the script runs out, the last answer repeats.
class ScriptedFeed {
 public:
  void script(const std::string& url, std::vector<FeedDownload> answers) {
    std::lock_guard<std::mutex> lock(mutex_);
    scripts_[url] = std::deque<FeedDownload>(answers.begin(), answers.end());
  }
  FeedDownload download(const std::string& url) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(url);
    std::deque<FeedDownload>& answers = scripts_[url];
    if (answers.empty()) return FeedDownload{{}, "no script", 0};
    FeedDownload d = answers.front();
    if (answers.size() > 1) answers.pop_front();
    return d;
  }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<FeedDownload>> scripts_;
  std::vector<std::string> requests_;
};

FeedDownload body(std::string text) { return FeedDownload{std::move(text), {}, 200}; }
FeedDownload failure(std::string why) { return FeedDownload{{}, std::move(why), 500}; }

struct Applied {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::vector<std::string>>> feeds;

  size_t count() {
    std::lock_guard<std::mutex> lock(mutex);
    return feeds.size();
  }
  std::vector<std::string> last() {
    std::lock_guard<std::mutex> lock(mutex);
    return feeds.empty() ? std::vector<std::string>{} : feeds.back().second;
  }
};

template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

struct Rig {
  ScriptedFeed feed;
  Applied applied;
  BlocklistFetcher fetcher{
      [this](const std::string& url, const std::atomic<bool>&) { return feed.download(url); },
      [this](const std::string& url, const Blocklist& list) -> std::optional<PullOutcome> {
        std::vector<std::string> texts;
        for (const IpPrefix& p : list.networks) texts.push_back(p.toString());
        std::lock_guard<std::mutex> lock(applied.mutex);
        applied.feeds.emplace_back(url, texts);
        return PullOutcome{texts.size(), texts.size()};
      }};
};

TEST(BlocklistFetcherTest, PullsAtStartThenEveryIntervalWithTheSharedParser) {
  Rig rig;
  rig.feed.script("http://a/list", {body("192.0.2.7\n198.51.100.0/24 # net\n"),
                                    body(R"({"ipaddress": ["203.0.113.9"], "ID": "7"})")});
  rig.fetcher.configure("http://a/list", 30ms);
  rig.fetcher.start();
  ASSERT_TRUE(eventually([&] { return rig.applied.count() >= 1; }));
  {
    std::lock_guard<std::mutex> lock(rig.applied.mutex);
    EXPECT_EQ(rig.applied.feeds[0].first, "http://a/list");
    EXPECT_EQ(rig.applied.feeds[0].second,
              (std::vector<std::string>{"192.0.2.7/32", "198.51.100.0/24"}));
  }
  ASSERT_TRUE(eventually([&] { return rig.applied.count() >= 3; }));
  EXPECT_EQ(rig.applied.last(), (std::vector<std::string>{"203.0.113.9/32"}));  // APIBAN JSON
  EXPECT_GE(rig.fetcher.goodPulls(), 3u);
  EXPECT_EQ(rig.fetcher.failedPulls(), 0u);
}

TEST(BlocklistFetcherTest, FailuresAndUnusableBodiesAreNotApplied) {
  Rig rig;
  rig.feed.script("http://a/list", {body("192.0.2.7\n"), failure("HTTP 500"),
                                    body("<html><body>Service unavailable</body></html>\n"),
                                    body("{not json"), body("192.0.2.8\n")});
  rig.fetcher.configure("http://a/list", 20ms);
  rig.fetcher.start();
  ASSERT_TRUE(eventually([&] { return rig.applied.count() >= 2; }));
  rig.fetcher.stop();
  std::lock_guard<std::mutex> lock(rig.applied.mutex);
  EXPECT_EQ(rig.applied.feeds[0].second, (std::vector<std::string>{"192.0.2.7/32"}));
  // The 500, the HTML page and the bad JSON never reached the ban list.
  EXPECT_EQ(rig.applied.feeds[1].second, (std::vector<std::string>{"192.0.2.8/32"}));
  EXPECT_EQ(rig.fetcher.failedPulls(), 3u);
}

TEST(BlocklistFetcherTest, AnEmptyFeedIsAGoodPull) {
  Rig rig;
  rig.feed.script("http://a/list", {body("# nothing listed today\n")});
  rig.fetcher.configure("http://a/list", 1h);
  rig.fetcher.start();
  ASSERT_TRUE(eventually([&] { return rig.applied.count() >= 1; }));
  EXPECT_TRUE(rig.applied.last().empty());
}

TEST(BlocklistFetcherTest, ReconfigurationRetargetsOrStopsThePull) {
  Rig rig;
  rig.feed.script("http://a/list", {body("192.0.2.7\n")});
  rig.feed.script("http://b/list", {body("192.0.2.99\n")});
  rig.fetcher.configure("http://a/list", 1h);  // one pull, then a long wait
  rig.fetcher.start();
  ASSERT_TRUE(eventually([&] { return rig.applied.count() >= 1; }));
  rig.fetcher.configure("http://b/list", 1h);  // a new URL is pulled at once
  ASSERT_TRUE(eventually([&] { return rig.applied.count() >= 2; }));
  EXPECT_EQ(rig.applied.last(), (std::vector<std::string>{"192.0.2.99/32"}));
  rig.fetcher.configure("http://b/list", 20ms);  // a shorter interval counts from the last pull
  ASSERT_TRUE(eventually([&] { return rig.applied.count() >= 4; }));
  rig.fetcher.configure("", 20ms);  // no URL: no more pulls
  const size_t pulls = rig.feed.requests().size();
  std::this_thread::sleep_for(200ms);
  EXPECT_LE(rig.feed.requests().size(), pulls + 1);  // at most the one already under way
  rig.fetcher.stop();
}

TEST(BlocklistFetcherTest, StopsPromptlyWithoutStarting) {
  Rig rig;
  rig.fetcher.configure("http://a/list", 1h);
  rig.fetcher.stop();  // never started: nothing to join
  EXPECT_TRUE(rig.feed.requests().empty());
}

}  // namespace
}  // namespace tg::guard
