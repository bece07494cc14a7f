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

// SRTP (SDES, RFC 4568) on a leg: `required` refuses a peer without acceptable a=crypto (488)
// and offers RTP/SAVP; `optional` offers RTP/AVP with a=crypto (best effort) and takes SRTP when
// the peer does; `off` is plain RTP (an RTP/SAVP offer is refused). media.<zone>.srtp, and a
// provider's `srtp` for its calls.
enum class SrtpSetting : uint8_t { kRequired, kOptional, kOff };

// One zone's side of the relay.
struct MediaZone {
  bool anchor = true;  // false: this zone's calls keep their SDP end to end (another relay)
  // The address the relay binds and writes into SDP toward this zone; unset: the zone's first
  // listener's address.
  std::optional<base::Address> address;
  // Unset: off for the pbx zone (a LAN PBX speaks RTP), optional for public phones; on the
  // trunk, each provider's own `srtp`, else required over tls and optional over plaintext
  // signalling (whose a=crypto keys anyone on the path reads).
  std::optional<SrtpSetting> srtp;
  // Encoding names (rtpmap, case-insensitive; static payload types by their RFC 3551 names)
  // this zone's peers may use; others are removed from offers. Empty: any.
  // telephone-event (RFC 4733 DTMF) always passes.
  std::vector<std::string> codecs;
};

struct MediaSettings {
  bool anchor = true;        // master switch: false relays no call's media
  uint16_t portMin = 20000;  // even; RTP takes even ports, RTCP the odd one after
  uint16_t portMax = 29999;
  int threads = 0;                   // 0: cores minus SIP workers, at least 1
  std::chrono::seconds timeout{60};  // no packet either way this long ends the call; 0: never
  // Packets with consecutive sequence numbers from one SSRC before a source is learned.
  int probationPackets = 3;
  // Ceilings per stream and direction (token buckets over one second); packets above them are
  // dropped and counted, and the call is flagged. 0: no ceiling.
  int maxPacketsPerSecond = 1000;
  int maxKbps = 20000;
  MediaZone pbx;
  MediaZone trunk;
  MediaZone publicZone;
  // Providers whose media address is taken from their SDP and never learned from packets.
  std::vector<std::string> pinnedProviders;
};

}  // namespace tg::config
