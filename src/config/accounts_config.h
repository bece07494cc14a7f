#pragma once

// Remote phones on the public zone: accounts, digest authentication, password policy and
// lockout. Read by accounts_section.cc.

namespace tg::config {

struct AccountSettings {};
struct PublicAuth {};

}  // namespace tg::config
