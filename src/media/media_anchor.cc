#include "media/media_anchor.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "media/codec_filter.h"
#include "media/srtp_transform.h"

namespace tg::media {
namespace {

using b2bua::BodyDecision;
using b2bua::Side;
using transport::Zone;

int sideIndex(Side s) { return s == Side::kA ? kSideA : kSideB; }

// The zone's media address: media.<zone>.address, else its first listener's.
base::Address bindAddress(const config::MediaZone& media,
                          const std::vector<config::Listener>& listen) {
  base::Address at;
  if (media.address) {
    at = *media.address;
  } else if (!listen.empty()) {
    at = listen.front().address;
  }
  // 0.0.0.0 or :: would put the call on hold (RFC 2543): no address rather than that.
  if (!at.valid() || at.ip() == "0.0.0.0" || at.ip() == "::") return base::Address();
  at.setPort(0);
  return at;
}

srtp::SrtpMode modeOf(config::SrtpSetting setting) {
  switch (setting) {
    case config::SrtpSetting::kRequired:
      return srtp::SrtpMode::kRequired;
    case config::SrtpSetting::kOptional:
      return srtp::SrtpMode::kOptional;
    case config::SrtpSetting::kOff:
      break;
  }
  return srtp::SrtpMode::kOff;
}

}  // namespace

MediaAnchor::MediaAnchor(RelayEngine& engine, const config::Config& config)
    : engine_(engine), settings_(config.media) {
  zoneAnchors_[static_cast<size_t>(Zone::kPbx)] = settings_.pbx.anchor;
  zoneAnchors_[static_cast<size_t>(Zone::kTrunk)] = settings_.trunk.anchor;
  zoneAnchors_[static_cast<size_t>(Zone::kPublic)] = settings_.publicZone.anchor;
  bind_[static_cast<size_t>(Zone::kPbx)] = bindAddress(settings_.pbx, config.pbx.listen);
  bind_[static_cast<size_t>(Zone::kTrunk)] = bindAddress(settings_.trunk, config.trunk.listen);
  if (config.publicZone) {
    bind_[static_cast<size_t>(Zone::kPublic)] =
        bindAddress(settings_.publicZone, config.publicZone->listen);
  }
  for (const config::Provider& p : config.trunk.providers) {
    providers_.push_back({p.name, p.srtp, p.target.transport == config::TransportKind::kTls});
  }
}

srtp::SrtpMode MediaAnchor::srtpMode(const b2bua::Call& call, Side side) const {
  switch (call.zone(side)) {
    case Zone::kPbx:
      return modeOf(settings_.pbx.srtp.value_or(config::SrtpSetting::kOff));
    case Zone::kPublic:
      return modeOf(settings_.publicZone.srtp.value_or(config::SrtpSetting::kOptional));
    case Zone::kTrunk:
      break;
  }
  for (const ProviderSrtp& p : providers_) {
    if (p.name != call.provider) continue;
    if (p.srtp) return modeOf(*p.srtp);
    if (settings_.trunk.srtp) return modeOf(*settings_.trunk.srtp);
    // Encryption by default; over plaintext signalling the keys are readable on the path, so
    // SRTP is offered and taken there but not insisted on.
    return p.tls ? srtp::SrtpMode::kRequired : srtp::SrtpMode::kOptional;
  }
  return modeOf(settings_.trunk.srtp.value_or(config::SrtpSetting::kRequired));
}

std::span<const std::string> MediaAnchor::codecsOf(Zone zone) const {
  switch (zone) {
    case Zone::kPbx:
      return settings_.pbx.codecs;
    case Zone::kTrunk:
      return settings_.trunk.codecs;
    case Zone::kPublic:
      break;
  }
  return settings_.publicZone.codecs;
}

bool MediaAnchor::applySdes(const std::shared_ptr<RelayStream>& stream, int side,
                            const SdesLeg& leg) {
  if (!leg.secure()) {
    engine_.setTransforms(stream, side, nullptr, nullptr);
    return true;
  }
  SrtpLegTransforms t = makeSrtpTransforms(*leg.remote, *leg.local);
  if (!t.inbound || !t.outbound) return false;
  engine_.setTransforms(stream, side, std::move(t.inbound), std::move(t.outbound));
  return true;
}

bool MediaAnchor::anchors(Zone a, Zone b) const {
  return settings_.anchor && zoneAnchors_[static_cast<size_t>(a)] &&
         zoneAnchors_[static_cast<size_t>(b)];
}

bool MediaAnchor::pinned(const b2bua::Call& call, Side side) const {
  if (call.zone(side) != Zone::kTrunk || call.provider.empty()) return false;
  const auto& names = settings_.pinnedProviders;
  return std::find(names.begin(), names.end(), call.provider) != names.end();
}

BodyDecision MediaAnchor::offer(const b2bua::Call& call, Side from, b2bua::SessionBody body) {
  return anchor(call, from, body, true);
}

BodyDecision MediaAnchor::answer(const b2bua::Call& call, Side from, b2bua::SessionBody body) {
  return anchor(call, from, body, false);
}

BodyDecision MediaAnchor::anchor(const b2bua::Call& call, Side from, b2bua::SessionBody body,
                                 bool isOffer) {
  if (!anchors(call.zoneA, call.zoneB)) return BodyDecision::keep();
  switch (classifyBody(body.contentType)) {
    case BodyKind::kOther:
      return BodyDecision::keep();
    case BodyKind::kUnsupported:
      return BodyDecision::refuse("multipart bodies are not relayed with media anchoring");
    case BodyKind::kSdp:
      break;
  }
  sip::SessionDescription sdp;
  std::vector<PeerMedia> peers;
  if (std::string why = readForAnchoring(body.content, sdp, peers); !why.empty()) {
    return BodyDecision::refuse(std::move(why));
  }
  const Side to = b2bua::other(from);
  const base::Address& local = addressFor(call.zone(to));
  if (!local.valid() || !addressFor(call.zone(from)).valid()) {
    return BodyDecision::refuse("no media address for this call's zones (media.<zone>.address)");
  }

  CallMedia& media = calls_[call.id];
  media.uuid = call.uuid;
  media.zones[kSideA] = call.zoneA;
  media.zones[kSideB] = call.zoneB;
  if (media.streams.size() < sdp.media.size()) media.streams.resize(sdp.media.size());
  for (auto& legs : media.sdes) {
    if (legs.size() < sdp.media.size()) legs.resize(sdp.media.size());
  }
  // Keys per leg (sdes_leg.h), on copies: a refused description changes nothing.
  std::vector<SdesLeg> sdesFrom = media.sdes[sideIndex(from)];
  std::vector<SdesLeg> sdesTo = media.sdes[sideIndex(to)];
  std::vector<SdesChange> changes(sdp.media.size());
  const srtp::SrtpMode fromMode = srtpMode(call, from);
  const srtp::SrtpMode toMode = srtpMode(call, to);
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    sip::SdpMedia& m = sdp.media[i];
    std::string why;
    if (isOffer && m.isDisabled()) {
      stripSdes(m);
    } else if (isOffer) {
      why = filterCodecs(m, codecsOf(call.zoneA), codecsOf(call.zoneB));
      if (why.empty()) {
        why = sdesOffer(m, sdesFrom[i], fromMode, sdesTo[i], toMode, call.leg(to).callId);
      }
    } else {
      // An answer may only name codecs the offer (already filtered) had; one that answers
      // with a codec a zone does not allow has none left and is refused.
      why = filterCodecs(m, codecsOf(call.zoneA), codecsOf(call.zoneB));
      if (why.empty()) why = sdesAnswer(m, sdesFrom[i], fromMode, sdesTo[i], changes[i]);
    }
    if (!why.empty()) {
      return BodyDecision::refuse(sdp.media.size() > 1 ? why + " (m=" + m.type + ")" : why);
    }
  }
  std::vector<LocalPorts> ports(sdp.media.size());
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    if (sdp.media[i].isDisabled()) continue;
    std::shared_ptr<RelayStream>& stream = media.streams[i];
    // A re-offer keeps the stream's ports (RFC 3264 §8): only a new m= line opens one.
    if (!stream) {
      stream = engine_.open(addressFor(call.zoneA), addressFor(call.zoneB),
                            settings_.maxPacketsPerSecond, settings_.maxKbps);
      if (!stream) return BodyDecision::refuse("no media ports free");
    }
    const RelayLeg& leg = stream->legs[sideIndex(to)];
    ports[i] = {leg.rtpPort, static_cast<uint16_t>(leg.rtpPort + 1)};
  }
  std::string rewritten = rewriteForLeg(sdp, local, ports);
  for (size_t i = 0; i < changes.size(); ++i) {
    if (!media.streams[i]) continue;
    if ((changes[i].from && !applySdes(media.streams[i], sideIndex(from), sdesFrom[i])) ||
        (changes[i].to && !applySdes(media.streams[i], sideIndex(to), sdesTo[i]))) {
      return BodyDecision::refuse("the SRTP library refused a key");
    }
  }
  media.sdes[sideIndex(from)] = std::move(sdesFrom);
  media.sdes[sideIndex(to)] = std::move(sdesTo);

  // What this leg's peer said: learning starts over where it names another address (a moved
  // peer, hold, resume); a refresh naming the same addresses keeps what was learned.
  std::vector<PeerMedia>& before = media.peers[sideIndex(from)];
  const bool pin = pinned(call, from);
  for (size_t i = 0; i < peers.size(); ++i) {
    if (!media.streams[i]) continue;
    // The formats this leg listed (after the allowlist): RTP with any other is dropped.
    engine_.setPayloadTypes(media.streams[i], sideIndex(from),
                            PayloadTypes::of(sdp.media[i].formats));
    const bool changed = i >= before.size() || !(before[i] == peers[i]);
    if (changed || pin) {
      engine_.setPeer(media.streams[i], sideIndex(from), peers[i], changed, pin,
                      settings_.probationPackets);
    }
  }
  before = std::move(peers);
  bool holding = true;
  for (const sip::SdpMedia& m : sdp.media) {
    const sip::SdpDirection d = sip::effectiveDirection(sdp, m);
    holding = holding && (m.isDisabled() || d != sip::SdpDirection::kSendRecv);
  }
  media.hold[sideIndex(from)] = holding;
  TG_LOG(kB2bua, debug, "call={} media {} from {} anchored on {}", call.uuid,
         isOffer ? "offer" : "answer", from == Side::kA ? "A" : "B", local.ip());
  return BodyDecision::replace(std::move(rewritten));
}

void MediaAnchor::onAnswered(const b2bua::CallRecord& record) {
  auto it = calls_.find(record.callId);
  if (it != calls_.end()) it->second.answeredMs = RelayEngine::nowMs();
}

// The counters of every stream of the call so far, and each leg's SRTP suite (of the first
// stream that runs SRTP on it).
void MediaAnchor::collect(const CallMedia& media, b2bua::CallRecord::Media& m) {
  m.relayed = true;
  for (const auto& stream : media.streams) {
    if (!stream) continue;
    const StreamCounters& c = stream->counters;
    const auto both = [](const std::atomic<uint64_t>(&n)[2]) {
      return n[kSideA].load(std::memory_order_relaxed) + n[kSideB].load(std::memory_order_relaxed);
    };
    m.packetsAtoB += c.packets[kSideA].load(std::memory_order_relaxed);
    m.packetsBtoA += c.packets[kSideB].load(std::memory_order_relaxed);
    m.bytesAtoB += c.bytes[kSideA].load(std::memory_order_relaxed);
    m.bytesBtoA += c.bytes[kSideB].load(std::memory_order_relaxed);
    m.foreignDropped += both(c.foreign);
    m.unauthenticatedDropped += both(c.unauthenticated);
    m.overRateDropped += both(c.overRate);
    m.payloadTypeDropped += both(c.payloadType);
  }
  for (int side = 0; side < 2; ++side) {
    std::string& suite = side == kSideA ? m.srtpA : m.srtpB;
    for (const SdesLeg& leg : media.sdes[side]) {
      if (suite.empty() && leg.remote)
        suite = std::string(srtp::cryptoSuiteName(leg.remote->suite));
    }
  }
}

std::optional<b2bua::CallRecord::Media> MediaAnchor::liveMedia(uint64_t callId) const {
  auto it = calls_.find(callId);
  if (it == calls_.end()) return std::nullopt;
  b2bua::CallRecord::Media m;
  collect(it->second, m);
  return m;
}

void MediaAnchor::onEnding(b2bua::CallRecord& record) {
  auto it = calls_.find(record.callId);
  if (it == calls_.end()) return;
  reportOverRate(it->second);  // drops since the last tick
  auto& m = record.media;
  collect(it->second, m);
  for (const auto& stream : it->second.streams) {
    if (stream) engine_.close(stream);
  }
  TG_LOG(kB2bua, info,
         "call={} media relayed: A->B {} packets {} bytes, B->A {} packets {} bytes, {} foreign "
         "dropped, {} unauthenticated dropped, {} over-rate dropped, {} payload-type dropped, "
         "srtp A={} B={}",
         record.uuid, m.packetsAtoB, m.bytesAtoB, m.packetsBtoA, m.bytesBtoA, m.foreignDropped,
         m.unauthenticatedDropped, m.overRateDropped, m.payloadTypeDropped,
         m.srtpA.empty() ? "off" : m.srtpA, m.srtpB.empty() ? "off" : m.srtpB);
  calls_.erase(it);
}

std::vector<uint64_t> MediaAnchor::silentCalls(int64_t nowMs) const {
  std::vector<uint64_t> silent;
  const int64_t limitMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.timeout).count();
  if (limitMs <= 0) return silent;
  for (const auto& [id, media] : calls_) {
    const bool onHold = media.hold[kSideA] || media.hold[kSideB];
    if (media.answeredMs == 0) continue;
    int64_t last = media.answeredMs;
    bool any = false;
    for (const auto& stream : media.streams) {
      if (!stream) continue;
      any = true;
      last = std::max(last, stream->counters.lastPacketMs.load(std::memory_order_relaxed));
    }
    if (any && nowMs - last >= (onHold ? 5 * limitMs : limitMs)) silent.push_back(id);
  }
  return silent;
}

size_t MediaAnchor::reportOverRate() {
  size_t reported = 0;
  for (auto& [id, media] : calls_) {
    if (media.overRateReported) continue;
    reportOverRate(media);
    if (media.overRateReported) ++reported;
  }
  return reported;
}

void MediaAnchor::reportOverRate(CallMedia& media) {
  if (media.overRateReported) return;
  // The leg whose peer sent too much, and how much was dropped (all streams of the call).
  uint64_t dropped[2] = {0, 0};
  size_t firstStream[2] = {0, 0};
  for (size_t i = 0; i < media.streams.size(); ++i) {
    if (!media.streams[i]) continue;
    for (int side = 0; side < 2; ++side) {
      const uint64_t n = media.streams[i]->counters.overRate[side].load(std::memory_order_relaxed);
      if (n != 0 && dropped[side] == 0) firstStream[side] = i;
      dropped[side] += n;
    }
  }
  if (dropped[kSideA] == 0 && dropped[kSideB] == 0) return;
  // Once per call: a flood goes on dropping packets, but one event says it.
  media.overRateReported = true;
  const int side = dropped[kSideB] > dropped[kSideA] ? kSideB : kSideA;
  const std::vector<PeerMedia>& peers = media.peers[side];
  const size_t stream = firstStream[side];
  guard::SecurityEvent e;
  e.time = std::chrono::system_clock::now();
  e.zone = media.zones[side];
  if (stream < peers.size()) e.source = peers[stream].rtp;
  e.rule = "media.rate_ceiling";
  e.reason = "call " + media.uuid + ": media from leg " + (side == kSideA ? "A" : "B") +
             " above media.max_packets_per_s " + std::to_string(settings_.maxPacketsPerSecond) +
             " / max_kbps " + std::to_string(settings_.maxKbps) + ": " +
             std::to_string(dropped[side]) + " packets dropped so far";
  e.action = "drop";
  TG_LOG(kB2bua, warn, "call={} media above its ceilings: {} packets from leg {} dropped",
         media.uuid, dropped[side], side == kSideA ? "A" : "B");
  if (events_ != nullptr) events_->record(std::move(e));
}

}  // namespace tg::media
