#pragma once

// A list of numbers, each exact ("+12125550100") or a prefix ("+1212555*"), compared as
// E.164 digits: own DIDs, inbound allow and deny lists.

#include <string>
#include <string_view>
#include <vector>

namespace tg::guard::policy {

class NumberList {
 public:
  NumberList() = default;
  explicit NumberList(const std::vector<std::string>& entries);
  bool empty() const { return exact_.empty() && prefixes_.empty(); }
  // `digits`: E.164 without '+'.
  bool contains(std::string_view digits) const;

 private:
  std::vector<std::string> exact_;  // sorted
  std::vector<std::string> prefixes_;
};

}  // namespace tg::guard::policy
