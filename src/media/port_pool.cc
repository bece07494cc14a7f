#include "media/port_pool.h"

namespace tg::media {

PortPool::PortPool(uint16_t low, uint16_t high) {
  for (uint32_t p = low + (low % 2); p + 1 <= high; p += 2) {
    free_.push_back(static_cast<uint16_t>(p));
  }
}

std::optional<uint16_t> PortPool::take() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return std::nullopt;
  const uint16_t port = free_.front();
  free_.pop_front();
  return port;
}

void PortPool::give(uint16_t evenPort) {
  std::lock_guard lock(mutex_);
  free_.push_back(evenPort);
}

size_t PortPool::available() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

}  // namespace tg::media
