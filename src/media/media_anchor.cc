#include "media/media_anchor.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"

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
  if (media.streams.size() < sdp.media.size()) media.streams.resize(sdp.media.size());
  std::vector<LocalPorts> ports(sdp.media.size());
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    if (sdp.media[i].isDisabled()) continue;
    std::shared_ptr<RelayStream>& stream = media.streams[i];
    // A re-offer keeps the stream's ports (RFC 3264 §8): only a new m= line opens one.
    if (!stream) {
      stream = engine_.open(addressFor(call.zoneA), addressFor(call.zoneB));
      if (!stream) return BodyDecision::refuse("no media ports free");
    }
    const RelayLeg& leg = stream->legs[sideIndex(to)];
    ports[i] = {leg.rtpPort, static_cast<uint16_t>(leg.rtpPort + 1)};
  }
  std::string rewritten = rewriteForLeg(sdp, local, ports);

  // What this leg's peer said: learning starts over where it names another address (a moved
  // peer, hold, resume); a refresh naming the same addresses keeps what was learned.
  std::vector<PeerMedia>& before = media.peers[sideIndex(from)];
  const bool pin = pinned(call, from);
  for (size_t i = 0; i < peers.size(); ++i) {
    if (!media.streams[i]) continue;
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

void MediaAnchor::onEnding(b2bua::CallRecord& record) {
  auto it = calls_.find(record.callId);
  if (it == calls_.end()) return;
  auto& m = record.media;
  m.relayed = true;
  for (const auto& stream : it->second.streams) {
    if (!stream) continue;
    const StreamCounters& c = stream->counters;
    m.packetsAtoB += c.packets[kSideA].load(std::memory_order_relaxed);
    m.packetsBtoA += c.packets[kSideB].load(std::memory_order_relaxed);
    m.bytesAtoB += c.bytes[kSideA].load(std::memory_order_relaxed);
    m.bytesBtoA += c.bytes[kSideB].load(std::memory_order_relaxed);
    m.foreignDropped += c.foreign[kSideA].load(std::memory_order_relaxed) +
                        c.foreign[kSideB].load(std::memory_order_relaxed);
    engine_.close(stream);
  }
  // The CDR has no media columns yet: the counters go to the log with the call's uuid.
  TG_LOG(kB2bua, info,
         "call={} media relayed: A->B {} packets {} bytes, B->A {} packets {} bytes, {} foreign "
         "dropped",
         record.uuid, m.packetsAtoB, m.bytesAtoB, m.packetsBtoA, m.bytesBtoA, m.foreignDropped);
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

}  // namespace tg::media
