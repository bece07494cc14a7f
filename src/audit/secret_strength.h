#pragma once

// One verdict on secrets found in audited configurations: the project's password policy
// (libpwquality with the cracklib dictionary, the usual SIP scanner guesses, the user name).

#include <string>

namespace tg::audit {

// "" when acceptable; otherwise why not. Never includes the secret.
std::string secretWeakness(const std::string& secret, const std::string& user);

}  // namespace tg::audit
