#include "app/admin_api/live_feed.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace tg::app::admin_api {
namespace {

// Series names: what the SPA (dashboard/src/) reads from /api/v1/series and the stream.
const std::vector<std::string> kNames = {
    "calls_now",          // active calls (gauge)
    "calls_per_s",        // calls whose B leg was sent
    "answered_per_s",     // calls answered
    "failed_per_s",       // calls that ended without an answer
    "blocked_per_s",      // every block below, added up
    "blocked_banned",     // dropped before parsing: banned source
    "blocked_acl",        // dropped before parsing: not allowed in the zone
    "blocked_scanner",    // the scanner filter
    "blocked_ratelimit",  // the rate limit
    "blocked_overload",   // the overload filter
    "blocked_policy",     // calls the call policy refused
    "blocked_dialog",     // in-dialog requests for no dialog of ours
};

double rate(uint64_t before, uint64_t now, double seconds) {
  return now > before ? static_cast<double>(now - before) / seconds : 0.0;
}

}  // namespace

const std::vector<std::string>& dashboardSeriesNames() { return kNames; }

std::vector<double> dashboardSeriesValues(const ServerSnapshot& before, const ServerSnapshot& now,
                                          double seconds) {
  seconds = std::max(seconds, 1e-3);
  const auto filter = [&](guard::FilterId id) {
    return rate(before.filters[id].blocked, now.filters[id].blocked, seconds);
  };
  std::vector<double> v = {
      static_cast<double>(now.activeCalls),
      rate(before.calls.callsStarted, now.calls.callsStarted, seconds),
      rate(before.calls.callsAnswered, now.calls.callsAnswered, seconds),
      rate(before.calls.callsFailed, now.calls.callsFailed, seconds),
      0.0,
      rate(before.guard.bannedDrops, now.guard.bannedDrops, seconds),
      rate(before.guard.aclDrops, now.guard.aclDrops, seconds),
      filter(guard::FilterId::kScanner),
      filter(guard::FilterId::kRateLimit),
      filter(guard::FilterId::kOverload),
      rate(before.calls.policyRejected, now.calls.policyRejected, seconds),
      rate(before.guard.unknownDialogs, now.guard.unknownDialogs, seconds),
  };
  constexpr size_t kTotal = 4;
  for (size_t i = kTotal + 1; i < v.size(); ++i) v[kTotal] += v[i];
  return v;
}

int64_t LiveFeed::defaultUnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

LiveFeed::LiveFeed(std::function<StatusFacts()> status, size_t maxClients,
                   std::function<int64_t()> unixNow)
    : status_(std::move(status)),
      maxClients_(maxClients),
      unixNow_(std::move(unixNow)),
      series_(kNames) {}

LiveFeed::~LiveFeed() { stop(); }

void LiveFeed::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void LiveFeed::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LiveFeed::run() {
  std::unique_lock lock(mutex_);
  while (!stopped_) {
    // Wake at the next wall-clock second, so points fall on whole seconds.
    const auto now = std::chrono::system_clock::now();
    const auto next = std::chrono::ceil<std::chrono::seconds>(now + std::chrono::milliseconds(1));
    if (changed_.wait_until(lock, next, [this] { return stopped_; })) break;
    lock.unlock();
    sampleOnce();
    lock.lock();
  }
}

void LiveFeed::sampleOnce() {
  const StatusFacts facts = status_();
  const auto at = std::chrono::steady_clock::now();
  const int64_t time = unixNow_();
  std::vector<double> values;
  if (previous_) {
    values = dashboardSeriesValues(*previous_, facts.snapshot,
                                   std::chrono::duration<double>(at - previousAt_).count());
  } else {
    // The first sample has no interval: the gauge only.
    values.assign(kNames.size(), 0.0);
    values[0] = static_cast<double>(facts.snapshot.activeCalls);
  }
  previous_ = facts.snapshot;
  previousAt_ = at;
  series_.add(time, values);

  nlohmann::json data = {{"time", time}, {"bans", facts.bans}};
  nlohmann::json& series = data["series"] = nlohmann::json::object();
  for (size_t i = 0; i < kNames.size(); ++i) series[kNames[i]] = values[i];
  {
    std::lock_guard lock(mutex_);
    ++sequence_;
    message_ = fmt::format("id: {}\nevent: tick\ndata: {}\n\n", sequence_, data.dump());
  }
  changed_.notify_all();
}

std::shared_ptr<LiveFeed::Subscription> LiveFeed::subscribe() {
  std::lock_guard lock(mutex_);
  if (stopped_ || clients_ >= maxClients_) return nullptr;
  ++clients_;
  auto s = std::make_shared<Subscription>(*this);
  s->seen = sequence_;  // from the next sample on
  return s;
}

LiveFeed::Subscription::~Subscription() {
  std::lock_guard lock(feed_.mutex_);
  --feed_.clients_;
}

size_t LiveFeed::clients() const {
  std::lock_guard lock(mutex_);
  return clients_;
}

std::optional<std::string> LiveFeed::next(Subscription& s, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopped_ || sequence_ != s.seen; });
  if (stopped_) return std::nullopt;
  if (sequence_ == s.seen) return std::string();
  s.seen = sequence_;
  return message_;
}

}  // namespace tg::app::admin_api
