#include "app/hash_code_command.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>

#include "app/terminal_prompt.h"
#include "base/secret_hash.h"

namespace tg::app {

int runHashCode(std::istream& in, std::ostream& out, std::ostream& err) {
  std::optional<std::string> code;
  if (&in == &std::cin && isatty(STDIN_FILENO) != 0) {
    code = promptHidden("Call code: ", err);
  } else if (std::string line; std::getline(in, line)) {
    code = trimLine(line);
  }
  if (!code) {
    err << "error: no call code given (type it, or pipe it on stdin)\n";
    return 2;
  }
  // Never echo it: this often runs in a shared terminal or a logged session.
  if (code->size() < 2 || code->size() > 12 ||
      !std::all_of(code->begin(), code->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    err << "error: a call code is 2 to 12 digits (policy.call_codes.length)\n";
    return 2;
  }
  const std::string hash = base::hashSecret(*code);
  if (hash.empty()) {
    err << "error: hashing failed (OpenSSL)\n";
    return 2;
  }
  out << hash << "\n";
  return 0;
}

}  // namespace tg::app
