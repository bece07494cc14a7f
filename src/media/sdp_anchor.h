#pragma once

// The offer/answer rewriting of the media relay, apart from sockets and calls: reads a session
// description leaving one leg (what its peer says about where it receives each stream) and
// rewrites it for the other leg with the relay's address and ports, so that no address of one
// side reaches the other (RFC 3264 rules: port 0 streams stay disabled, `a=rtcp-mux` and the
// direction attributes pass). What cannot be rewritten completely is refused, with the reason
// for a 488's Warning: malformed SDP, transports other than RTP, multicast, host names.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "sip/sdp.h"

namespace tg::media {

// At most this many m= lines are relayed in one description.
inline constexpr size_t kMaxStreams = 8;

// What one leg's description says about one stream (one m= line).
struct PeerMedia {
  bool enabled = false;  // a non-zero port and a unicast address (not the 0.0.0.0 of a hold)
  base::Address rtp;     // where that leg's peer receives RTP
  base::Address rtcp;    // and RTCP (the RTP address with rtcp-mux)
  bool rtcpMux = false;

  bool operator==(const PeerMedia&) const = default;
};

// The relay's ports for one stream on the leg a description goes to.
struct LocalPorts {
  uint16_t rtp = 0;
  uint16_t rtcp = 0;
};

enum class BodyKind : uint8_t {
  kSdp,          // application/sdp: rewritten
  kOther,        // not a session description (INFO's dtmf-relay, NOTIFY's sipfrag): unchanged
  kUnsupported,  // multipart: could hide SDP that would not be rewritten
};
BodyKind classifyBody(std::string_view contentType);

// Parses and checks `body`; fills `sdp` and one PeerMedia per m= line. Returns why it is
// refused, or "" when it can be anchored.
std::string readForAnchoring(std::string_view body, sip::SessionDescription& sdp,
                             std::vector<PeerMedia>& peers);

// Rewrites `sdp` (as read above) for the other leg: the relay's `local` address in o= and c=,
// `ports[i]` on the i-th m= line (disabled ones keep port 0), a=rtcp on the relay's RTCP port,
// ICE attributes and e=/p=/u= lines removed. `ports` has one entry per m= line.
std::string rewriteForLeg(sip::SessionDescription& sdp, const base::Address& local,
                          std::span<const LocalPorts> ports);

}  // namespace tg::media
