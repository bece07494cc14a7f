#pragma once

// The periodic pull of guard.bans.blocklist_url, on a thread of its own: a download takes up to
// the FeedLimits' timeouts, which must stall neither a SIP worker nor the guard's once-a-second
// housekeeping. The first pull is at start (and right after the URL changes), then one every
// interval. A failed pull (network, TLS, HTTP status, too big, unparsable) is logged as a
// warning and retried after PullBackoff's delay; the bans of the last good pull stay meanwhile.
// A good pull is parsed with parseBlocklist() (plain list or APIBAN JSON, as files are) and
// handed to `apply`, which owns the ban list; one info line per good pull says what it did.
//
// Log lines name the feed by redactUrl() only: feed URLs carry API keys.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "guard/ban/blocklist.h"
#include "guard/ban/feed_download.h"

namespace tg::guard {

// When to pull next. After a success: the interval. After the n-th failure in a row:
// min(interval, firstRetry) * 2^(n-1), never more than the interval.
class PullBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirstRetry{60000};

  explicit PullBackoff(std::chrono::milliseconds interval,
                       std::chrono::milliseconds firstRetry = kFirstRetry)
      : interval_(interval), firstRetry_(firstRetry) {}

  std::chrono::milliseconds afterSuccess();
  std::chrono::milliseconds afterFailure();
  // The delay the latest outcome asked for (the interval before any outcome).
  std::chrono::milliseconds current() const;
  void setInterval(std::chrono::milliseconds interval) { interval_ = interval; }
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds firstRetry_;
  int failures_ = 0;
};

// What applying a good pull did, for its log line.
struct PullOutcome {
  size_t banned = 0;  // the feed's networks now banned (trusted ones are skipped)
  size_t added = 0;   // of the feed's networks, those not banned before this pull
};

class BlocklistFetcher {
 public:
  // Downloads one URL (downloadFeed in production; tests inject their own).
  using Download =
      std::function<FeedDownload(const std::string& url, const std::atomic<bool>& cancel)>;
  // Applies a good pull of `url`; runs on the fetcher's thread. nullopt: the feed was not
  // applied (the URL was reconfigured meanwhile).
  using Apply =
      std::function<std::optional<PullOutcome>(const std::string& url, const Blocklist& feed)>;

  BlocklistFetcher(Download download, Apply apply);
  ~BlocklistFetcher();  // stop()
  BlocklistFetcher(const BlocklistFetcher&) = delete;
  BlocklistFetcher& operator=(const BlocklistFetcher&) = delete;

  // Sets what to pull (any time, from any thread). An empty URL idles the thread. A new URL is
  // pulled at once with a fresh back-off; a new interval alone counts from the last pull.
  void configure(const std::string& url, std::chrono::milliseconds interval);
  void start();
  // Ends a download in progress at its next chunk and joins the thread.
  void stop();

  uint64_t goodPulls() const { return goodPulls_.load(std::memory_order_relaxed); }
  uint64_t failedPulls() const { return failedPulls_.load(std::memory_order_relaxed); }

 private:
  void run();
  bool pullOnce(const std::string& url);  // true: a good pull, applied

  Download download_;
  Apply apply_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string url_;
  std::chrono::milliseconds interval_{std::chrono::hours(1)};
  bool changed_ = false;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  std::atomic<uint64_t> goodPulls_{0};
  std::atomic<uint64_t> failedPulls_{0};
  std::thread thread_;
};

}  // namespace tg::guard
