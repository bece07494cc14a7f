#pragma once

// OpenSSL's reason for its last failure, for log lines and config errors.

#include <string>

namespace tg::base {

// The first queued error (the cause, e.g. "no start line"; later ones are callers such as
// "PEM lib"), or strerror for a system error such as a file that cannot be opened. Clears
// OpenSSL's error queue.
std::string lastOpensslError();

}  // namespace tg::base
