// The top-level `dns:` section (dns_config.h): which servers resolve provider host names.

#include "base/address.h"
#include "config/loader.h"

namespace tg::config::detail {

void readDns(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "dns", line,
              {"servers", "naptr", "timeout_ms", "attempts", "negative_ttl_s", "min_ttl_s"});
  if (!m.valid()) return;
  DnsSettings& dns = c.dns;
  for (const auto& item : loader.readStringList(m, "servers")) {
    // c-ares takes "ip", "ip:port" and "[v6]:port".
    const bool ok = base::Address::parse(item.value, 53).has_value() ||
                    base::Address::parseHostPort(item.value).has_value();
    if (!ok) {
      loader.error(item.line, item.path,
                   "'" + item.value +
                       "' is not an IP address with an optional port, e.g. "
                       "\"127.0.0.1:5353\" or \"[::1]:53\"");
      continue;
    }
    dns.servers.push_back(item.value);
  }
  loader.setBool(m, "naptr", dns.naptr);
  loader.setDuration(m, "timeout_ms", dns.timeout, 100, 30000);
  loader.setInt(m, "attempts", dns.attempts, 1, 10);
  loader.setDuration(m, "negative_ttl_s", dns.negativeTtl, 0, 3600);
  loader.setDuration(m, "min_ttl_s", dns.minTtl, 0, 3600);
}

}  // namespace tg::config::detail
