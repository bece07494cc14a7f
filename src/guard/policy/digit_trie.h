#pragma once

// Longest-prefix match over decimal digits (E.164 without '+'): one node per digit, children
// in a flat vector so that a lookup is at most 15 array steps with no allocation.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tg::guard::policy {

class DigitTrie {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  DigitTrie() { nodes_.emplace_back(); }

  // Maps `digits` (only '0'-'9'; anything else is skipped) to value; a later insert of the same
  // prefix replaces the earlier one (overrides over the shipped table).
  void insert(std::string_view digits, uint32_t value) {
    uint32_t n = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') continue;
      const int d = c - '0';
      if (nodes_[n].child[d] == 0) {
        nodes_[n].child[d] = static_cast<uint32_t>(nodes_.size());
        nodes_.emplace_back();
      }
      n = nodes_[n].child[d];
    }
    if (nodes_[n].value == kNone) ++size_;
    nodes_[n].value = value;
  }

  struct Match {
    uint32_t value = kNone;
    size_t length = 0;  // digits of the matching prefix
    bool found() const { return value != kNone; }
  };

  // The value of the longest inserted prefix of `digits` (stops at the first non-digit).
  Match longest(std::string_view digits) const {
    Match best;
    uint32_t n = 0;
    if (nodes_[0].value != kNone) best = {nodes_[0].value, 0};
    for (size_t i = 0; i < digits.size(); ++i) {
      const char c = digits[i];
      if (c < '0' || c > '9') break;
      n = nodes_[n].child[c - '0'];
      if (n == 0) break;
      if (nodes_[n].value != kNone) best = {nodes_[n].value, i + 1};
    }
    return best;
  }

  size_t size() const { return size_; }

 private:
  struct Node {
    std::array<uint32_t, 10> child{};  // 0 = none (the root is never a child)
    uint32_t value = kNone;
  };
  std::vector<Node> nodes_;
  size_t size_ = 0;
};

}  // namespace tg::guard::policy
