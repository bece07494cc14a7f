#include "audit/text_match.h"

#include "audit/asterisk_reader.h"

namespace tg::audit {

bool containsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (asterisk::equalsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

bool isLoopbackHost(std::string_view host) {
  return host.rfind("127.", 0) == 0 || host == "::1" || host == "[::1]" || host == "localhost";
}

}  // namespace tg::audit
