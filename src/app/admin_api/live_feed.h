#pragma once

// The dashboard's live data: a thread of its own (never a SIP worker, nor one of the API's
// request threads) samples the gateway once a second (ApiBackend::status()), turns two
// consecutive snapshots into the dashboard's series (calls now, calls/s, blocked/s by rule),
// records them in a SeriesRing and publishes them as one Server-Sent Event that every
// connected dashboard receives (GET /api/v1/stream). The number of stream clients is bounded:
// each holds one of the API's request threads while it is connected.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/admin_api/series_ring.h"
#include "app/server.h"
#include "app/status_report.h"

namespace tg::app::admin_api {

// The series the dashboard draws, in SeriesRing order.
const std::vector<std::string>& dashboardSeriesNames();
// Their values between two snapshots taken `seconds` apart: rates per second from the counters'
// differences (a counter that went down, a restart of its worker, counts as 0), gauges as of now.
std::vector<double> dashboardSeriesValues(const ServerSnapshot& before, const ServerSnapshot& now,
                                          double seconds);

class LiveFeed {
 public:
  // status: the gateway's facts (ApiBackend::status, or a fake in tests), called on the
  // sampler's thread; unixNow: the wall clock in seconds (the series' time axis).
  LiveFeed(std::function<StatusFacts()> status, size_t maxClients,
           std::function<int64_t()> unixNow = defaultUnixNow);
  ~LiveFeed();
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // The sampler thread: one sample at each wall-clock second.
  void start();
  // Stops the sampler and wakes every waiting client (next() returns nullopt): call before the
  // HTTP server's stop, which waits for the requests in progress.
  void stop();

  // Takes one sample now and publishes it (the sampler's step; tests call it directly).
  void sampleOnce();

  const SeriesRing& series() const { return series_; }

  // A connected stream client; destroying it frees its place.
  class Subscription {
   public:
    explicit Subscription(LiveFeed& feed) : feed_(feed) {}
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    uint64_t seen = 0;  // the last message this client was given

   private:
    LiveFeed& feed_;
  };
  // Null when maxClients are connected already, or once stopped.
  std::shared_ptr<Subscription> subscribe();
  size_t clients() const;

  // The next message after s.seen (a complete SSE event), waiting up to `timeout`: "" when none
  // came in time (the caller sends a keep-alive comment), nullopt once the feed is stopped.
  std::optional<std::string> next(Subscription& s, std::chrono::milliseconds timeout);

  static int64_t defaultUnixNow();

 private:
  void run();

  std::function<StatusFacts()> status_;
  const size_t maxClients_;
  std::function<int64_t()> unixNow_;
  SeriesRing series_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopped_ = false;
  size_t clients_ = 0;
  uint64_t sequence_ = 0;
  std::string message_;  // the last published event

  // The sampler's own state (its thread only).
  std::optional<ServerSnapshot> previous_;
  std::chrono::steady_clock::time_point previousAt_;
  std::thread thread_;
};

}  // namespace tg::app::admin_api
