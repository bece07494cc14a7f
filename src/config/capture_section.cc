// The top-level `capture:` section (capture_config.h). Like `alerts:`, the settings are not a
// member of Config (config.h, included by nearly every file, stays as it is): the loader checks
// the section, and the gateway reads it again at start.

#include <filesystem>

#include "config/capture_config.h"
#include "config/loader.h"

namespace tg::config::detail {

void readCaptureSettings(Loader& loader, const YAML::Node& node, int line,
                         std::optional<HepSettings>& out) {
  MapReader m(loader, node, "capture", line, {"hep"});
  if (!m.valid() || !m.has("hep")) return;
  MapReader h(loader, m.get("hep"), m.pathOf("hep"), m.keyLine("hep"),
              {"url", "agent_id", "password", "queue"});
  if (!h.valid()) return;
  HepSettings hep;
  hep.line = h.line();
  if (auto url = loader.readString(h, "url")) {
    const int at = Loader::valueLine(h, "url");
    std::string_view rest = *url;
    if (rest.starts_with("udp://")) {
      rest.remove_prefix(6);
    } else if (rest.starts_with("tcp://")) {
      rest.remove_prefix(6);
      hep.tcp = true;
    } else {
      loader.error(at, h.pathOf("url"),
                   "'" + *url + "' is not udp://IP:PORT or tcp://IP:PORT (the HEP collector)");
      rest = {};
    }
    if (!rest.empty()) {
      if (auto a = base::Address::parseHostPort(rest); a && a->port() != 0) {
        hep.collector = *a;
      } else {
        loader.error(at, h.pathOf("url"),
                     "'" + std::string(rest) +
                         "' is not an IP address with a port, e.g. udp://127.0.0.1:9060");
      }
    }
  } else if (!h.has("url")) {
    loader.error(h.line(), h.pathOf("url"),
                 "missing; where to send HEP, e.g. udp://127.0.0.1:9060");
  }
  loader.setInt(h, "agent_id", hep.agentId, 0, 4294967295LL);
  loader.setString(h, "password", hep.password);
  loader.setInt(h, "queue", hep.queue, 16, 1048576);
  out = std::move(hep);
}

// In the section table: every load checks the section (and reports its errors) without keeping
// it; loadHepSettings() reads it for the capture thread.
void readCapture(Loader& loader, const YAML::Node& node, int line, Config&) {
  std::optional<HepSettings> checked;
  readCaptureSettings(loader, node, line, checked);
}

}  // namespace tg::config::detail

namespace tg::config {

std::optional<HepSettings> loadHepSettings(const std::string& path) {
  try {
    const YAML::Node root = YAML::LoadFile(path);
    const YAML::Node node = root["capture"];
    if (!node.IsDefined()) return std::nullopt;
    detail::Loader loader(path, std::filesystem::path(path).parent_path().string());
    std::optional<HepSettings> hep;
    detail::readCaptureSettings(loader, node, detail::Loader::lineOf(node), hep);
    if (loader.errorCount() != 0) return std::nullopt;
    return hep;
  } catch (const YAML::Exception&) {
    return std::nullopt;  // the config load reported it already
  }
}

}  // namespace tg::config
