#pragma once

// The admin API's listener (`admin:`, read by admin_section.cc): off unless the section is
// there. It binds loopback by default; any other address requires TLS with a certificate.

#include <chrono>
#include <string>

#include "base/address.h"

namespace tg::config {

struct AdminSettings {
  int line = 0;  // where `admin:` was written
  // Where the API listens; loopback unless written otherwise.
  base::Address listen = *base::Address::parse("127.0.0.1", 8080);
  // PEM files; both empty: plain HTTP, allowed on a loopback address only.
  std::string certificate;
  std::string privateKey;
  // A session ends after this long without a request, and this long after its login in any case.
  std::chrono::seconds sessionIdle{900};
  std::chrono::seconds sessionMax{28800};
  int threads = 4;  // the API's own thread pool, never a SIP worker

  bool tls() const { return !certificate.empty(); }
};

}  // namespace tg::config
