#pragma once

// The codec allowlist of the media relay (media.<zone>.codecs): formats of an m= line whose
// encoding a zone of the call does not allow are removed from offers, with their a=rtpmap,
// a=fmtp and a=rtcp-fb lines, before the offer reaches the other leg. A stream left with no
// codec is refused (488). DTMF (RFC 4733 telephone-event) and comfort noise (CN) always pass
// beside an allowed codec; they never count as one.

#include <span>
#include <string>
#include <string_view>

#include "sip/sdp.h"

namespace tg::media {

// The encoding of `format` on `m`: its a=rtpmap name, else the RFC 3551 name of a static
// payload type; "" when unknown.
std::string encodingOf(const sip::SdpMedia& m, std::string_view format);

// Removes what `allowedA` or `allowedB` does not allow (an empty list allows everything).
// Returns why the stream is refused (no allowed codec left), or "".
std::string filterCodecs(sip::SdpMedia& m, std::span<const std::string> allowedA,
                         std::span<const std::string> allowedB);

}  // namespace tg::media
