#pragma once

// Prices per destination (policy.rate_table CSV) and how a call's duration is billed.

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "config/policy_config.h"
#include "guard/policy/digit_trie.h"

namespace tg::guard::policy {

// Seconds billed for `talk` seconds with "first/next" increments: 61 s at 60/60 bills 120,
// at 1/1 bills 61, at 30/6 bills 66. Nothing is billed for 0 s.
int64_t billedSeconds(int64_t talk, int first, int next);

class RateTable {
 public:
  explicit RateTable(const std::vector<config::RateEntry>& rates);
  // Longest prefix of the E.164 digits (no '+'); nullptr when no rate matches.
  const config::RateEntry* find(std::string_view digits) const;
  static double cost(const config::RateEntry& rate, std::chrono::seconds talk);
  size_t size() const { return rates_.size(); }

 private:
  std::vector<config::RateEntry> rates_;
  DigitTrie trie_;
};

}  // namespace tg::guard::policy
