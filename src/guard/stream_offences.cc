#include "guard/stream_offences.h"

namespace tg::guard {

bool StreamOffences::add(const base::Address& source, base::TimePoint now, uint32_t threshold,
                         std::chrono::seconds window) {
  const std::lock_guard lock(mutex_);
  Offences& o = table_.findOrInsert(SourceKey::of(source));
  if (o.count == 0 || now - o.windowStart >= window) o = Offences{now, 0};
  if (++o.count < threshold) return false;
  o = Offences{};
  return true;
}

void StreamOffences::expire(base::TimePoint now, std::chrono::seconds window) {
  const std::lock_guard lock(mutex_);
  table_.dropStale([&](const Offences& o) { return now - o.windowStart >= window; });
}

size_t StreamOffences::size() const {
  const std::lock_guard lock(mutex_);
  return table_.size();
}

}  // namespace tg::guard
