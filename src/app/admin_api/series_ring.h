#pragma once

// The dashboard's charts without a time-series database: a fixed set of series sampled once a
// second, kept for the last hour at one point a second and for the last day at one point a
// minute (the minute's average), in rings that never grow. One writer (the live feed's sampler
// thread) and any number of readers (GET /api/v1/series on the API's threads), under a mutex.

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace tg::app::admin_api {

class SeriesRing {
 public:
  // names: the series, in the order add() gives their values.
  explicit SeriesRing(std::vector<std::string> names, size_t seconds = 3600, size_t minutes = 1440);

  // One sample taken at unixSecond; a second not after the last one is ignored (the clock went
  // back), so the rings stay ordered. values.size() must equal names().size().
  void add(int64_t unixSecond, std::span<const double> values);

  enum class Step { kSecond, kMinute };
  // {"step": 1|60, "time": [...], "series": {name: [...], ...}}: the points at or after `since`,
  // oldest first, columns as uPlot draws them.
  nlohmann::json json(Step step, int64_t since) const;

  const std::vector<std::string>& names() const { return names_; }

 private:
  struct Ring {
    explicit Ring(size_t capacity, size_t width) : times(capacity), values(capacity * width) {}
    std::vector<int64_t> times;
    std::vector<double> values;  // capacity rows of `width` values
    size_t next = 0;             // where the next point goes
    size_t size = 0;
  };
  void push(Ring& ring, int64_t time, std::span<const double> values);
  nlohmann::json columns(const Ring& ring, int64_t step, int64_t since) const;

  const std::vector<std::string> names_;
  mutable std::mutex mutex_;
  Ring seconds_;
  Ring minutes_;
  int64_t last_ = INT64_MIN;
  int64_t minute_ = INT64_MIN;  // the minute being summed
  std::vector<double> minuteSum_;
  int minuteCount_ = 0;
};

}  // namespace tg::app::admin_api
