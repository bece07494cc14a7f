#pragma once

// SDES (RFC 4568) across the relay, one stream (m= line) at a time: each leg negotiates its own
// keys with trunkguard, so the other leg never sees them and the relay always re-encrypts. An
// offer leaving leg F is answered on F's behalf with a fresh key of trunkguard's (under F's
// `srtp` mode), and goes on to leg T with trunkguard's own a=crypto lines (under T's mode:
// RTP/SAVP when required, RTP/AVP with a=crypto when optional, none when off); T's answer
// picks one of them. Keys and the running contexts survive a re-offer whose a=crypto line is
// unchanged; a re-offer or answer that would drop SRTP from a leg that has it is refused
// (never downgraded), as is anything the mode does not allow. Pure offer/answer state: the
// relay's transforms are built from what `changed` reports.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "media/srtp/crypto_attribute.h"
#include "media/srtp/crypto_negotiation.h"
#include "sip/sdp.h"

namespace tg::media {

// The suites trunkguard offers (in this order) and accepts (the first of these the peer offers).
std::span<const srtp::CryptoSuite> srtpSuitePreference();

// One leg's SDES state for one stream.
struct SdesLeg {
  // trunkguard's lines in its last offer to this leg, and the leg's dialog (Call-ID) they were
  // made for: a new dialog (another provider after a failure) gets new keys.
  std::vector<srtp::CryptoAttribute> offered;
  std::string offeredDialog;
  bool offeredSecure = false;  // that offer said RTP/SAVP(F)
  // This leg's own last offer: its m= profile, and the accepted line with trunkguard's answer
  // line (both empty: plain RTP), for the answer that goes back to it.
  std::string offerProto;
  std::optional<srtp::CryptoAttribute> pendingRemote;
  std::optional<srtp::CryptoAttribute> pendingLocal;
  // In use on the relay: the peer's line (unprotects what it sends) and trunkguard's (protects
  // what it is sent); both empty: plain RTP on this leg.
  std::optional<srtp::CryptoAttribute> remote;
  std::optional<srtp::CryptoAttribute> local;

  bool secure() const { return remote.has_value(); }
};

// An offer crossing from leg `from` to leg `to` (`toDialog`: that leg's Call-ID). Rewrites `m`'s
// profile and a=crypto lines for `to`; returns why it is refused, or "".
std::string sdesOffer(sip::SdpMedia& m, SdesLeg& from, srtp::SrtpMode fromMode, SdesLeg& to,
                      srtp::SrtpMode toMode, std::string_view toDialog);

// The answer crossing back from leg `from` (which trunkguard offered to) to leg `to` (whose
// offer it answers). Rewrites `m` for `to`, commits both legs' keys and says in `changed`
// which legs' SRTP contexts must be rebuilt (or removed); returns why it is refused, or "".
struct SdesChange {
  bool from = false;
  bool to = false;
};
std::string sdesAnswer(sip::SdpMedia& m, SdesLeg& from, srtp::SrtpMode fromMode, SdesLeg& to,
                       SdesChange& changed);

// A disabled stream (port 0) carries no keys either way.
void stripSdes(sip::SdpMedia& m);

}  // namespace tg::media
