#include "guard/ban/blocklist_fetcher.h"

#include <algorithm>

#include "base/log.h"

namespace tg::guard {

std::chrono::milliseconds PullBackoff::afterSuccess() {
  failures_ = 0;
  return interval_;
}

std::chrono::milliseconds PullBackoff::afterFailure() {
  ++failures_;
  return current();
}

std::chrono::milliseconds PullBackoff::current() const {
  if (failures_ == 0) return interval_;
  std::chrono::milliseconds delay = std::min(interval_, firstRetry_);
  for (int i = 1; i < failures_ && delay < interval_; ++i) delay *= 2;
  return std::min(delay, interval_);
}

BlocklistFetcher::BlocklistFetcher(Download download, Apply apply)
    : download_(std::move(download)), apply_(std::move(apply)) {}

BlocklistFetcher::~BlocklistFetcher() { stop(); }

void BlocklistFetcher::configure(const std::string& url, std::chrono::milliseconds interval) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (url == url_ && interval == interval_) return;
    url_ = url;
    interval_ = interval;
    changed_ = true;
  }
  wake_.notify_all();
}

void BlocklistFetcher::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void BlocklistFetcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_.store(true, std::memory_order_relaxed);
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BlocklistFetcher::run() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lock(mutex_);
  PullBackoff backoff(interval_);
  std::string pulled;  // the URL of the latest attempt
  bool attempted = false;
  Clock::time_point lastAttempt{};
  Clock::time_point next = Clock::now();
  const auto woken = [this] { return stopping_ || changed_; };
  while (!stopping_) {
    if (changed_) {
      changed_ = false;
      backoff.setInterval(interval_);
      if (url_ != pulled || !attempted) {
        backoff.reset();
        attempted = false;
        next = Clock::now();
      } else {
        next = lastAttempt + backoff.current();
      }
    }
    if (url_.empty()) {
      wake_.wait(lock, woken);
      continue;
    }
    if (Clock::now() < next) {
      wake_.wait_until(lock, next, woken);
      continue;
    }
    const std::string url = url_;
    lock.unlock();
    const bool good = pullOnce(url);
    lock.lock();
    pulled = url;
    attempted = true;
    // Counted from the end of the pull: a slow server does not get back-to-back requests.
    lastAttempt = Clock::now();
    next = lastAttempt + (good ? backoff.afterSuccess() : backoff.afterFailure());
  }
}

bool BlocklistFetcher::pullOnce(const std::string& url) {
  const std::string shown = redactUrl(url);
  const FeedDownload download = download_(url, cancel_);
  if (cancel_.load(std::memory_order_relaxed)) return false;  // shutting down
  if (!download.ok()) {
    failedPulls_.fetch_add(1, std::memory_order_relaxed);
    TG_LOG(kGuard, warn, "blocklist pull from {} failed: {}; the bans of the last good pull stay",
           shown, download.error);
    return false;
  }
  const Blocklist feed = parseBlocklist(download.body);
  if (!feed.ok() || (feed.networks.empty() && !feed.problems.empty())) {
    // Also an HTML error page served with 200: no line of it is an address. Applying it would
    // lift every ban of the feed.
    failedPulls_.fetch_add(1, std::memory_order_relaxed);
    const std::string why = !feed.ok() ? feed.error
                                       : "no entry is an IP or CIDR (line " +
                                             std::to_string(feed.problems[0].line) + ": '" +
                                             feed.problems[0].text + "')";
    TG_LOG(kGuard, warn, "blocklist pull from {} failed: {}; the bans of the last good pull stay",
           shown, why);
    return false;
  }
  if (!feed.problems.empty()) {
    const BlocklistProblem& first = feed.problems.front();
    TG_LOG(kGuard, warn, "blocklist pull from {}: skipped {} entries (first, line {}: '{}': {})",
           shown, feed.problems.size(), first.line, first.text, first.message);
  }
  const std::optional<PullOutcome> outcome = apply_(url, feed);
  if (!outcome) return true;  // reconfigured meanwhile: the next pull is the new URL's
  goodPulls_.fetch_add(1, std::memory_order_relaxed);
  TG_LOG(kGuard, info, "blocklist pull from {}: {} entries, {} new, {} banned", shown,
         feed.networks.size(), outcome->added, outcome->banned);
  return true;
}

}  // namespace tg::guard
