#pragma once

// How provider host names are resolved (RFC 3263, src/trunk/): read by dns_section.cc.

#include <chrono>
#include <string>
#include <vector>

namespace tg::config {

struct DnsSettings {
  // "ip" or "ip:port" ("[v6]:port"); empty = the system resolver configuration.
  std::vector<std::string> servers;
  bool naptr = true;                        // ask NAPTR before SRV (RFC 3263 §4.1)
  std::chrono::milliseconds timeout{2000};  // per query attempt
  int attempts = 2;
  std::chrono::seconds negativeTtl{30};  // how long a failed lookup is remembered
  std::chrono::seconds minTtl{5};        // floor for records with a tiny TTL
};

}  // namespace tg::config
