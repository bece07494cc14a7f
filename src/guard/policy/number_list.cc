#include "guard/policy/number_list.h"

#include <algorithm>

#include "guard/policy/numbering.h"

namespace tg::guard::policy {

NumberList::NumberList(const std::vector<std::string>& entries) {
  for (const std::string& e : entries) {
    if (!e.empty() && e.back() == '*') {
      prefixes_.push_back(e164Digits(std::string_view(e).substr(0, e.size() - 1)));
    } else {
      exact_.push_back(e164Digits(e));
    }
  }
  std::sort(exact_.begin(), exact_.end());
}

bool NumberList::contains(std::string_view digits) const {
  if (digits.empty()) return false;
  if (std::binary_search(exact_.begin(), exact_.end(), digits)) return true;
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [&](const std::string& p) { return digits.substr(0, p.size()) == p; });
}

}  // namespace tg::guard::policy
