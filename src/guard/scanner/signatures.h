#pragma once

// The User-Agent signatures of SIP scanning and attack tools that trunkguard ships with
// (guard.scanner.use_shipped_signatures). Matched case-insensitively as substrings of the
// User-Agent, Server and From display name.

#include <span>
#include <string_view>

namespace tg::guard::scanner {

struct Signature {
  std::string_view pattern;  // lower case
  std::string_view tool;     // what sends it, for people reading events and docs
};

std::span<const Signature> shippedSignatures();

}  // namespace tg::guard::scanner
