#include "media/sdp_anchor.h"

#include <array>

#include "sip/scan.h"

namespace tg::media {
namespace {

using sip::SdpMedia;

// RTP profiles the relay forwards (RFC 3551, 4585, 3711, 5124); SRTP's with keys per leg
// (sdes_leg.h).
bool isRtpProfile(std::string_view proto) {
  return proto == "RTP/AVP" || proto == "RTP/AVPF" || proto == "RTP/SAVP" || proto == "RTP/SAVPF";
}

// Attributes of ICE (RFC 8839) that name addresses or only make sense with them.
constexpr std::array<std::string_view, 7> kIceAttributes = {
    "candidate", "remote-candidates", "end-of-candidates", "ice-ufrag",
    "ice-pwd",   "ice-options",       "ice-lite"};

void stripIce(sip::SdpAttributes& attributes) {
  for (std::string_view name : kIceAttributes) attributes.removeAll(name);
  attributes.removeAll("ice-mismatch");
}

std::string readStream(const sip::SessionDescription& sdp, const SdpMedia& m, PeerMedia& peer) {
  if (m.isDisabled()) return {};  // RFC 3264 §6: a rejected or removed stream, no address
  if (!isRtpProfile(m.proto)) {
    return "media transport '" + m.proto + "' is not relayed (RTP/AVP, AVPF, SAVP, SAVPF)";
  }
  if (m.portCount) return "layered m= port counts are not relayed";
  const sip::SdpConnection* c = effectiveConnection(sdp, m);
  if (c == nullptr) return "m=" + m.type + " has no connection address";
  if (c->netType != "IN") return "connection network type '" + c->netType + "' is not IN";
  if (c->ttl || c->count) return "multicast media is not relayed";
  const auto ip = base::Address::parse(c->address, m.port);
  if (!ip || (c->isIp4() != ip->isV4())) {
    return "connection address '" + c->address + "' is not an IP address of its type";
  }
  peer.rtcpMux = m.attributes.has("rtcp-mux");
  if (c->isUnspecified()) return {};  // RFC 2543 hold: nowhere to send
  peer.enabled = true;
  peer.rtp = *ip;
  peer.rtcp = *ip;
  if (peer.rtcpMux) return {};
  peer.rtcp.setPort(static_cast<uint16_t>(m.port + 1));
  if (const sip::SdpAttribute* a = m.attributes.find("rtcp")) {
    const auto rtcp = sip::parseSdpRtcp(a->value);
    if (!rtcp || rtcp->port == 0) return "malformed a=rtcp";
    if (!rtcp->address.empty()) {
      const auto at = base::Address::parse(rtcp->address, rtcp->port);
      if (!at) return "a=rtcp address '" + std::string(rtcp->address) + "' is not an IP address";
      peer.rtcp = *at;
    } else {
      peer.rtcp.setPort(rtcp->port);
    }
  }
  return {};
}

}  // namespace

BodyKind classifyBody(std::string_view contentType) {
  const std::string_view type = sip::trim(contentType.substr(0, contentType.find(';')));
  if (sip::equalsIgnoreCase(type, "application/sdp")) return BodyKind::kSdp;
  if (sip::startsWithIgnoreCase(type, "multipart/")) return BodyKind::kUnsupported;
  return BodyKind::kOther;
}

std::string readForAnchoring(std::string_view body, sip::SessionDescription& sdp,
                             std::vector<PeerMedia>& peers) {
  auto parsed = sip::parseSdp(body);
  if (!parsed) return "malformed SDP: " + std::string(parsed.error());
  sdp = std::move(parsed.value());
  if (sdp.media.size() > kMaxStreams) {
    return "more than " + std::to_string(kMaxStreams) + " media streams";
  }
  peers.assign(sdp.media.size(), PeerMedia{});
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    std::string why = readStream(sdp, sdp.media[i], peers[i]);
    if (!why.empty()) return why;
  }
  return {};
}

std::string rewriteForLeg(sip::SessionDescription& sdp, const base::Address& local,
                          std::span<const LocalPorts> ports) {
  const std::string addrType = local.isV4() ? "IP4" : "IP6";
  const std::string ip = local.ip();
  sdp.origin.username = "-";
  sdp.origin.netType = "IN";
  sdp.origin.addrType = addrType;
  sdp.origin.address = ip;
  // Contact details and links of the far side's owner are not ours to pass on.
  sdp.emails.clear();
  sdp.phones.clear();
  sdp.uri.reset();
  sip::SdpConnection c;
  c.netType = "IN";
  c.addrType = addrType;
  c.address = ip;
  sdp.connection = c;
  stripIce(sdp.attributes);
  sdp.attributes.removeAll("crypto");  // a=crypto is per stream; keys are the SDES code's
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    SdpMedia& m = sdp.media[i];
    m.connections.clear();
    stripIce(m.attributes);
    if (m.isDisabled()) {
      m.attributes.removeAll("rtcp");
      continue;
    }
    m.port = ports[i].rtp;
    if (m.attributes.has("rtcp")) {
      m.attributes.removeAll("rtcp");
      m.attributes.add("rtcp", std::to_string(ports[i].rtcp));
    }
  }
  return sip::serializeSdp(sdp);
}

}  // namespace tg::media
