#include "guard/policy/rate_table.h"

namespace tg::guard::policy {

int64_t billedSeconds(int64_t talk, int first, int next) {
  if (talk <= 0) return 0;
  if (first <= 0) first = 1;
  if (next <= 0) next = 1;
  if (talk <= first) return first;
  const int64_t rest = talk - first;
  return first + (rest + next - 1) / next * next;
}

RateTable::RateTable(const std::vector<config::RateEntry>& rates) : rates_(rates) {
  for (size_t i = 0; i < rates_.size(); ++i) {
    trie_.insert(rates_[i].prefix, static_cast<uint32_t>(i));
  }
}

const config::RateEntry* RateTable::find(std::string_view digits) const {
  const DigitTrie::Match m = trie_.longest(digits);
  if (!m.found()) return nullptr;
  return &rates_[m.value];
}

double RateTable::cost(const config::RateEntry& rate, std::chrono::seconds talk) {
  const int64_t billed = billedSeconds(talk.count(), rate.firstIncrement, rate.nextIncrement);
  return rate.pricePerMinute * static_cast<double>(billed) / 60.0;
}

}  // namespace tg::guard::policy
