#include "media/sdes_leg.h"

#include <array>

namespace tg::media {
namespace {

using srtp::CryptoAttribute;
using srtp::SrtpMode;

// AES_CM_128_HMAC_SHA1_80 first: every SDES peer has it (RFC 4568 §6.2), and offers are read
// in order by most answerers.
constexpr std::array<srtp::CryptoSuite, 5> kPreference = {
    srtp::CryptoSuite::kAesCm128HmacSha1_80, srtp::CryptoSuite::kAeadAes128Gcm,
    srtp::CryptoSuite::kAeadAes256Gcm, srtp::CryptoSuite::kAesCm256HmacSha1_80,
    srtp::CryptoSuite::kAesCm128HmacSha1_32};

std::vector<std::string_view> cryptoLines(const sip::SdpMedia& m) {
  std::vector<std::string_view> lines;
  for (const sip::SdpAttribute& a : m.attributes.items()) {
    if (a.name == "crypto") lines.push_back(a.value);
  }
  return lines;
}

// "RTP/SAVPF" -> "RTP/AVPF", "RTP/AVP" -> "RTP/SAVP".
std::string withSecurity(std::string_view proto, bool secure) {
  const bool feedback = !proto.empty() && (proto.back() == 'F' || proto.back() == 'f');
  return std::string(secure ? "RTP/SAVP" : "RTP/AVP") + (feedback ? "F" : "");
}

bool sameLine(const std::optional<CryptoAttribute>& a, const std::optional<CryptoAttribute>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || srtp::keepsSrtpContext(*a, *b);
}

}  // namespace

std::span<const srtp::CryptoSuite> srtpSuitePreference() { return kPreference; }

void stripSdes(sip::SdpMedia& m) {
  m.attributes.removeAll("crypto");
  m.key.reset();  // k= (RFC 4566 §5.12): keys never cross in the clear
}

std::string sdesOffer(sip::SdpMedia& m, SdesLeg& from, SrtpMode fromMode, SdesLeg& to,
                      SrtpMode toMode, std::string_view toDialog) {
  // What `from` offered, and the answer trunkguard will give it.
  const std::vector<std::string_view> lines = cryptoLines(m);
  const srtp::CryptoChoice choice = srtp::chooseCrypto(lines, m.isSecure(), kPreference, fromMode);
  if (choice.outcome == srtp::CryptoChoice::Outcome::kRefused) return choice.reason;
  if (choice.outcome == srtp::CryptoChoice::Outcome::kPlainRtp && from.secure()) {
    return "the re-offer drops SRTP (" + choice.reason + "); media stays encrypted";
  }
  from.offerProto = m.proto;
  if (choice.outcome == srtp::CryptoChoice::Outcome::kSrtp) {
    const CryptoAttribute& accepted = *choice.accepted;
    // An unchanged line keeps both contexts (keys and rollover counters); a new one gets a
    // new key of trunkguard's as well.
    if (from.remote && from.local && srtp::keepsSrtpContext(*from.remote, accepted)) {
      from.pendingLocal = from.local;
    } else if (!(from.pendingRemote && from.pendingLocal &&
                 srtp::keepsSrtpContext(*from.pendingRemote, accepted))) {
      from.pendingLocal = srtp::makeAnswerLine(accepted);
      if (!from.pendingLocal) return "no SRTP key could be generated";
    }
    from.pendingRemote = accepted;
  } else {
    from.pendingRemote.reset();
    from.pendingLocal.reset();
  }

  // trunkguard's own offer to `to`.
  stripSdes(m);
  if (toMode == SrtpMode::kOff) {
    m.proto = withSecurity(m.proto, false);
    to.offered.clear();
    to.offeredSecure = false;
    return {};
  }
  if (to.offered.empty() || to.offeredDialog != toDialog) {
    to.offered = srtp::makeOfferLines(kPreference);
    if (to.offered.empty()) return "no SRTP key could be generated";
    to.offeredDialog = std::string(toDialog);
  }
  // Optional: RTP/AVP with a=crypto, SRTP when the answer takes it (best effort); a leg that
  // already runs SRTP keeps being offered SAVP.
  to.offeredSecure = toMode == SrtpMode::kRequired || to.secure();
  m.proto = withSecurity(m.proto, to.offeredSecure);
  for (const CryptoAttribute& line : to.offered) {
    m.attributes.add("crypto", srtp::formatCryptoAttribute(line));
  }
  return {};
}

std::string sdesAnswer(sip::SdpMedia& m, SdesLeg& from, SrtpMode fromMode, SdesLeg& to,
                       SdesChange& changed) {
  // `from` answers trunkguard's offer.
  std::optional<CryptoAttribute> fromRemote;
  std::optional<CryptoAttribute> fromLocal;
  if (!m.isDisabled()) {
    const std::vector<std::string_view> lines = cryptoLines(m);
    if (!lines.empty()) {
      if (from.offered.empty()) return "the answer has a=crypto but no SRTP was offered";
      auto accepted = srtp::acceptAnswerLine(from.offered, lines.front());
      if (!accepted) {
        return "unacceptable a=crypto in the answer: " + std::string(accepted.error());
      }
      for (const CryptoAttribute& line : from.offered) {
        if (line.tag == accepted->tag) fromLocal = line;
      }
      fromRemote = std::move(*accepted);
    } else if (from.offeredSecure || fromMode == SrtpMode::kRequired) {
      return "SRTP required: the answer has no a=crypto";
    } else if (from.secure()) {
      return "the answer drops SRTP; media stays encrypted";
    }
  }
  // The answer to `to`'s own offer.
  if (!m.isDisabled() && to.pendingRemote.has_value() != to.pendingLocal.has_value()) {
    return "no SRTP answer for the offer";
  }
  stripSdes(m);
  if (!to.offerProto.empty()) m.proto = to.offerProto;
  std::optional<CryptoAttribute> toRemote;
  std::optional<CryptoAttribute> toLocal;
  if (!m.isDisabled() && to.pendingLocal) {
    m.attributes.add("crypto", srtp::formatCryptoAttribute(*to.pendingLocal));
    toRemote = to.pendingRemote;
    toLocal = to.pendingLocal;
  }

  changed.from = !sameLine(from.remote, fromRemote) || !sameLine(from.local, fromLocal);
  changed.to = !sameLine(to.remote, toRemote) || !sameLine(to.local, toLocal);
  from.remote = std::move(fromRemote);
  from.local = std::move(fromLocal);
  to.remote = std::move(toRemote);
  to.local = std::move(toLocal);
  return {};
}

}  // namespace tg::media
