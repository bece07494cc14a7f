#pragma once

// `trunkguard hash-code`: reads a call code (without echo at a terminal, or one line of stdin)
// and prints the salted hash to write under policy.call_codes.codes instead of the code
// (base/secret_hash.h, docs/policy.md "Call codes at rest").

#include <istream>
#include <ostream>

namespace tg::app {

// 0 and the hash on `out`; 2 and why on `err` when the input is no code (2 to 12 digits).
int runHashCode(std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace tg::app
