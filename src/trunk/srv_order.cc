#include "trunk/srv_order.h"

#include <algorithm>

namespace tg::trunk {

std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records, std::mt19937_64& rng) {
  std::stable_sort(records.begin(), records.end(),
                   [](const SrvRecord& a, const SrvRecord& b) { return a.priority < b.priority; });
  std::vector<SrvRecord> out;
  out.reserve(records.size());
  size_t begin = 0;
  while (begin < records.size()) {
    size_t end = begin;
    while (end < records.size() && records[end].priority == records[begin].priority) ++end;
    // RFC 2782: weight-0 records first, then draw a number in [0, sum] and take the first
    // record whose running sum reaches it.
    std::vector<SrvRecord> group(records.begin() + static_cast<std::ptrdiff_t>(begin),
                                 records.begin() + static_cast<std::ptrdiff_t>(end));
    std::stable_partition(group.begin(), group.end(),
                          [](const SrvRecord& r) { return r.weight == 0; });
    while (!group.empty()) {
      uint32_t sum = 0;
      for (const SrvRecord& r : group) sum += r.weight;
      std::uniform_int_distribution<uint32_t> draw(0, sum);
      const uint32_t pick = draw(rng);
      uint32_t running = 0;
      size_t chosen = group.size() - 1;
      for (size_t i = 0; i < group.size(); ++i) {
        running += group[i].weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      out.push_back(std::move(group[chosen]));
      group.erase(group.begin() + static_cast<std::ptrdiff_t>(chosen));
    }
    begin = end;
  }
  return out;
}

}  // namespace tg::trunk
