#pragma once

// Media anchoring (src/media/): where the relay binds, which ports it takes, how many threads
// forward packets and when a silent call ends. Read by media_section.cc.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"

namespace tg::config {

// One zone's side of the relay.
struct MediaZone {
  bool anchor = true;  // false: this zone's calls keep their SDP end to end (another relay)
  // The address the relay binds and writes into SDP toward this zone; unset: the zone's first
  // listener's address.
  std::optional<base::Address> address;
};

struct MediaSettings {
  bool anchor = true;        // master switch: false relays no call's media
  uint16_t portMin = 20000;  // even; RTP takes even ports, RTCP the odd one after
  uint16_t portMax = 29999;
  int threads = 0;                   // 0: cores minus SIP workers, at least 1
  std::chrono::seconds timeout{60};  // no packet either way this long ends the call; 0: never
  // Packets with consecutive sequence numbers from one SSRC before a source is learned.
  int probationPackets = 3;
  MediaZone pbx;
  MediaZone trunk;
  MediaZone publicZone;
  // Providers whose media address is taken from their SDP and never learned from packets.
  std::vector<std::string> pinnedProviders;
};

}  // namespace tg::config
