// The top-level `media:` section (media_config.h): the relay's switch per zone, bind addresses,
// port range, threads and inactivity timeout. Read after the zones, whose listeners the port
// range is checked against.

#include "config/loader.h"

namespace tg::config::detail {
namespace {

void readMediaZone(Loader& loader, const MapReader& parent, std::string_view key, MediaZone& zone) {
  if (!parent.has(key)) return;
  MapReader m(loader, parent.get(key), parent.pathOf(key), parent.keyLine(key),
              {"anchor", "address", "srtp", "codecs"});
  if (!m.valid()) return;
  loader.setBool(m, "anchor", zone.anchor);
  loader.readSrtp(m, zone.srtp);
  for (const auto& item : loader.readStringList(m, "codecs")) {
    if (item.value.empty() || item.value.find_first_of(" /\t") != std::string::npos) {
      loader.error(item.line, item.path,
                   "'" + item.value +
                       "' is not an encoding name; write it as in a=rtpmap, "
                       "e.g. PCMU, PCMA, G722, opus");
      continue;
    }
    zone.codecs.push_back(item.value);
  }
  if (!m.has("address")) return;
  if (auto text = loader.readString(m, "address")) {
    if (auto ip = base::Address::parse(*text, 0)) {
      zone.address = *ip;
    } else {
      loader.error(Loader::valueLine(m, "address"), m.pathOf("address"),
                   "'" + *text +
                       "' is not an IP address; write the interface's address, e.g. "
                       "\"203.0.113.5\"");
    }
  }
}

// UDP listeners inside the port range would be taken by the relay (or take its ports).
void checkRangeAgainstListeners(Loader& loader, int line, const Config& c) {
  auto check = [&](const std::vector<Listener>& listeners, std::string_view zone) {
    for (const Listener& l : listeners) {
      const uint16_t port = l.address.port();
      if (l.transport != TransportKind::kUdp || port < c.media.portMin || port > c.media.portMax) {
        continue;
      }
      loader.error(line, "media.port_min",
                   "the media port range " + std::to_string(c.media.portMin) + "-" +
                       std::to_string(c.media.portMax) + " holds the " + std::string(zone) +
                       " listener '" + l.text + "'; move the range or the listener");
    }
  };
  check(c.pbx.listen, "pbx");
  check(c.trunk.listen, "trunk");
  if (c.publicZone) check(c.publicZone->listen, "public");
}

// A zone listening on all interfaces has no address to write into SDP.
void checkZoneAddresses(Loader& loader, int line, const Config& c) {
  auto check = [&](const MediaZone& zone, const std::vector<Listener>& listen,
                   std::string_view name) {
    if (!c.media.anchor || !zone.anchor || zone.address || listen.empty()) return;
    const std::string ip = listen.front().address.ip();
    if (ip != "0.0.0.0" && ip != "::") return;
    loader.warn(line, "media." + std::string(name),
                "the " + std::string(name) + " zone listens on all interfaces: set media." +
                    std::string(name) +
                    ".address to the IP its media should use; until then "
                    "its calls are refused with 488");
  };
  check(c.media.pbx, c.pbx.listen, "pbx");
  check(c.media.trunk, c.trunk.listen, "trunk");
  if (c.publicZone) check(c.media.publicZone, c.publicZone->listen, "public");
}

}  // namespace

void readMedia(Loader& loader, const YAML::Node& node, int line, Config& c) {
  MapReader m(loader, node, "media", line,
              {"anchor", "port_min", "port_max", "threads", "timeout_s", "probation_packets", "pbx",
               "trunk", "public", "pinned_providers", "max_packets_per_s", "max_kbps"});
  if (!m.valid()) return;
  MediaSettings& media = c.media;
  loader.setBool(m, "anchor", media.anchor);
  loader.setInt(m, "port_min", media.portMin, 1024, 65534);
  loader.setInt(m, "port_max", media.portMax, 1025, 65535);
  loader.setInt(m, "threads", media.threads, 0, 64);
  loader.setDuration(m, "timeout_s", media.timeout, 0, 86400);
  loader.setInt(m, "probation_packets", media.probationPackets, 1, 50);
  loader.setInt(m, "max_packets_per_s", media.maxPacketsPerSecond, 0, 1000000);
  loader.setInt(m, "max_kbps", media.maxKbps, 0, 10000000);
  readMediaZone(loader, m, "pbx", media.pbx);
  readMediaZone(loader, m, "trunk", media.trunk);
  readMediaZone(loader, m, "public", media.publicZone);
  if (media.portMin % 2 != 0) {
    loader.error(Loader::valueLine(m, "port_min"), m.pathOf("port_min"),
                 "must be even: RTP takes the even port of each pair, RTCP the odd one");
  }
  // Four ports per call at least (a pair per leg); ask for room for a few calls.
  if (media.portMax < media.portMin + 7) {
    const std::string key = m.has("port_max") ? "port_max" : "port_min";
    loader.error(m.has(key) ? Loader::valueLine(m, key) : line, m.pathOf(key),
                 "the range " + std::to_string(media.portMin) + "-" +
                     std::to_string(media.portMax) +
                     " is too small; each call takes 4 ports (2 per leg), give at least 8");
  }
  for (const auto& item : loader.readStringList(m, "pinned_providers")) {
    bool known = false;
    for (const Provider& p : c.trunk.providers) known = known || p.name == item.value;
    if (!known) {
      loader.error(item.line, item.path,
                   "'" + item.value + "' is not a provider in trunk.providers");
      continue;
    }
    media.pinnedProviders.push_back(item.value);
  }
}

void Loader::readSrtp(const MapReader& m, std::optional<SrtpSetting>& out) {
  if (!m.has("srtp")) return;
  auto text = readString(m, "srtp");
  if (!text) return;
  if (*text == "required") {
    out = SrtpSetting::kRequired;
  } else if (*text == "optional") {
    out = SrtpSetting::kOptional;
  } else if (*text == "off") {
    out = SrtpSetting::kOff;
  } else {
    error(valueLine(m, "srtp"), m.pathOf("srtp"),
          "'" + *text + "' is not an SRTP setting; write required, optional or off");
  }
}

// After every section, with or without a media: key: the defaults meet the listeners too.
void Loader::checkMedia(int line, const Config& c) {
  checkRangeAgainstListeners(*this, line, c);
  checkZoneAddresses(*this, line, c);
}

}  // namespace tg::config::detail
