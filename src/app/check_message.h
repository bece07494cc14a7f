#pragma once

// `trunkguard check-message FILE...`: what the gateway would say about each message.

#include <iosfwd>
#include <string>
#include <vector>

namespace tg::app {

struct CheckMessageOptions {
  std::vector<std::string> files;
  bool json = false;
  bool stream = false;  // each file is a TCP byte stream holding several messages
};

// Exit codes: 0 every message valid, 1 any invalid, 2 usage or I/O error.
int runCheckMessage(const CheckMessageOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tg::app
