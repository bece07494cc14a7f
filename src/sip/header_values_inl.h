#pragma once

#include "sip/scan.h"

namespace tg::sip {

template <typename Fn>
void forEachListElement(std::string_view value, Fn&& fn) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = findUnquoted(value, ',', start);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view element = trim(value.substr(start, comma - start));
    if (!element.empty()) fn(element);
    start = comma + 1;
  }
}

inline std::string_view firstListElement(std::string_view value) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = findUnquoted(value, ',', start);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view element = trim(value.substr(start, comma - start));
    if (!element.empty()) return element;
    start = comma + 1;
  }
  return {};
}

template <typename Fn>
bool forEachToken(std::string_view list, Fn&& fn) {
  bool ok = true;
  forEachListElement(list, [&](std::string_view element) {
    if (!isToken(element)) {
      ok = false;
      return;
    }
    fn(element);
  });
  return ok;
}

}  // namespace tg::sip
