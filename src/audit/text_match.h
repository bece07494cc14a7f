#pragma once

// Small text tests shared by the audits of configuration files.

#include <string_view>

namespace tg::audit {

// ASCII case-insensitive substring test.
bool containsIgnoreCase(std::string_view haystack, std::string_view needle);
// 127.x.x.x, ::1 (bracketed or not) or localhost: an address only this machine reaches.
bool isLoopbackHost(std::string_view host);

}  // namespace tg::audit
