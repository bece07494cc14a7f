// The top-level `admin:` section (admin_config.h): where the admin API listens, its TLS files and
// how long its sessions last. Nothing listens on a non-loopback address without TLS.

#include "config/loader.h"

namespace tg::config::detail {

void readAdmin(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(
      loader, node, "admin", line,
      {"listen", "certificate", "private_key", "session_idle_s", "session_max_s", "threads"});
  if (!m.valid()) return;
  AdminSettings& admin = c.admin.emplace();
  admin.line = line;
  if (m.has("listen")) {
    if (auto v = loader.readString(m, "listen")) {
      if (auto address = base::Address::parseHostPort(*v); address && address->port() != 0) {
        admin.listen = *address;
      } else {
        loader.error(Loader::valueLine(m, "listen"), m.pathOf("listen"),
                     "'" + *v +
                         "' is not an IP address with a port, e.g. \"127.0.0.1:8080\" "
                         "or \"[::1]:8443\"");
      }
    }
  }
  const bool haveCert = loader.readPemPath(m, "certificate", admin.certificate);
  const bool haveKey = loader.readPemPath(m, "private_key", admin.privateKey);
  if (m.has("certificate") != m.has("private_key")) {
    const std::string_view missing = m.has("certificate") ? "private_key" : "certificate";
    loader.error(m.line(), m.pathOf(missing),
                 "missing; admin.certificate and admin.private_key go together (PEM files)");
  }
  loader.checkPair(m, "certificate", admin.certificate, "private_key", admin.privateKey, haveCert,
                   haveKey);
  if (admin.certificate.empty() || admin.privateKey.empty()) {
    admin.certificate.clear();
    admin.privateKey.clear();
  }
  // Sessions and passwords cross the network only inside TLS.
  if (!admin.listen.isLoopback() && !m.has("certificate") && !m.has("private_key")) {
    loader.error(m.has("listen") ? Loader::valueLine(m, "listen") : line, m.pathOf("listen"),
                 "'" + admin.listen.toString() +
                     "' is not a loopback address; the admin API listens there only with TLS: "
                     "set admin.certificate and admin.private_key");
  }
  loader.setDuration(m, "session_idle_s", admin.sessionIdle, 60, 86400);
  loader.setDuration(m, "session_max_s", admin.sessionMax, 300, 7 * 86400);
  loader.setInt(m, "threads", admin.threads, 1, 16);
}

}  // namespace tg::config::detail
