#include "app/admin_api/series_ring.h"

#include <algorithm>
#include <stdexcept>

namespace tg::app::admin_api {
namespace {

int64_t minuteOf(int64_t unixSecond) {
  return unixSecond >= 0 ? unixSecond / 60 * 60 : (unixSecond - 59) / 60 * 60;
}

}  // namespace

SeriesRing::SeriesRing(std::vector<std::string> names, size_t seconds, size_t minutes)
    : names_(std::move(names)),
      seconds_(std::max<size_t>(seconds, 1), names_.size()),
      minutes_(std::max<size_t>(minutes, 1), names_.size()),
      minuteSum_(names_.size(), 0.0) {}

void SeriesRing::push(Ring& ring, int64_t time, std::span<const double> values) {
  const size_t width = names_.size();
  ring.times[ring.next] = time;
  std::copy(values.begin(), values.end(), ring.values.begin() + ring.next * width);
  ring.next = (ring.next + 1) % ring.times.size();
  ring.size = std::min(ring.size + 1, ring.times.size());
}

void SeriesRing::add(int64_t unixSecond, std::span<const double> values) {
  if (values.size() != names_.size()) {
    throw std::invalid_argument("SeriesRing::add: one value per series");
  }
  std::lock_guard lock(mutex_);
  if (unixSecond <= last_) return;
  last_ = unixSecond;
  push(seconds_, unixSecond, values);
  // A finished minute becomes one point: the average of the seconds that were sampled in it.
  const int64_t minute = minuteOf(unixSecond);
  if (minute != minute_) {
    if (minuteCount_ > 0) {
      for (double& v : minuteSum_) v /= minuteCount_;
      push(minutes_, minute_, minuteSum_);
    }
    minute_ = minute;
    std::fill(minuteSum_.begin(), minuteSum_.end(), 0.0);
    minuteCount_ = 0;
  }
  for (size_t i = 0; i < values.size(); ++i) minuteSum_[i] += values[i];
  ++minuteCount_;
}

nlohmann::json SeriesRing::columns(const Ring& ring, int64_t step, int64_t since) const {
  const size_t width = names_.size();
  const size_t capacity = ring.times.size();
  const size_t first = (ring.next + capacity - ring.size) % capacity;
  nlohmann::json times = nlohmann::json::array();
  std::vector<nlohmann::json> series(width, nlohmann::json::array());
  for (size_t k = 0; k < ring.size; ++k) {
    const size_t row = (first + k) % capacity;
    if (ring.times[row] < since) continue;
    times.push_back(ring.times[row]);
    for (size_t i = 0; i < width; ++i) series[i].push_back(ring.values[row * width + i]);
  }
  nlohmann::json out = {{"step", step}, {"time", std::move(times)}};
  nlohmann::json& bySeries = out["series"] = nlohmann::json::object();
  for (size_t i = 0; i < width; ++i) bySeries[names_[i]] = std::move(series[i]);
  return out;
}

nlohmann::json SeriesRing::json(Step step, int64_t since) const {
  std::lock_guard lock(mutex_);
  return step == Step::kSecond ? columns(seconds_, 1, since) : columns(minutes_, 60, since);
}

}  // namespace tg::app::admin_api
