#pragma once

// Names for parameterized test cases, so gtest prints what a case checks instead of a byte dump.

#include <cstddef>
#include <string>
#include <string_view>

namespace tg::testing {

// "03_malformed_CSeq_header" from index 3 and "malformed CSeq header"; the index keeps names
// unique when two cases share a description.
inline std::string caseName(size_t index, std::string_view description) {
  std::string name = (index < 10 ? "0" : "") + std::to_string(index) + "_";
  for (char c : description) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (word) {
      name += c;
    } else if (name.back() != '_') {
      name += '_';
    }
  }
  while (name.back() == '_') name.pop_back();
  return name;
}

}  // namespace tg::testing
