#pragma once

// The media relay as the B2BUA sees it, one per SIP worker: the offer/answer processor that
// rewrites each session description crossing between legs (sdp_anchor.h) and opens the relay's
// streams for it, and the call observer that closes them, at once, when the call ends and
// puts the call's media counters in its record. Runs on its worker's thread only; packets are
// the RelayEngine's threads' business.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "b2bua/call_events.h"
#include "b2bua/offer_answer.h"
#include "config/config.h"
#include "guard/security_event.h"
#include "media/relay_engine.h"
#include "media/sdes_leg.h"

namespace tg::media {

class MediaAnchor final : public b2bua::OfferAnswerProcessor, public b2bua::CallObserver {
 public:
  // `engine` must outlive this. The media settings are read once: they need a restart.
  MediaAnchor(RelayEngine& engine, const config::Config& config);

  b2bua::BodyDecision offer(const b2bua::Call& call, b2bua::Side from,
                            b2bua::SessionBody body) override;
  b2bua::BodyDecision answer(const b2bua::Call& call, b2bua::Side from,
                             b2bua::SessionBody body) override;

  // The inactivity timeout counts from the answer: a call ringing without early media is
  // the no-answer timer's business.
  void onAnswered(const b2bua::CallRecord& call) override;
  void onEnding(b2bua::CallRecord& call) override;

  // Answered calls whose streams relayed nothing either way for media.timeout_s (counted from
  // the last packet, or from the answer when none came; five times longer on hold, when music
  // on hold may be absent); empty when the timeout is 0.
  std::vector<uint64_t> silentCalls(int64_t nowMs) const;
  // Where a call whose media hit the rate ceilings is reported (a security event, at most one
  // per call); none: only logged. Must outlive this.
  void setEventSink(guard::EventSink* events) { events_ = events; }
  // Reports each call whose streams dropped packets at media.max_packets_per_s / max_kbps
  // since it started and that was not reported yet (on the worker's once-a-second tick and at
  // the call's end). Returns how many were reported.
  size_t reportOverRate();
  // Whether the calls between these zones have their media relayed.
  bool anchors(transport::Zone a, transport::Zone b) const;
  // The address the relay binds and writes into SDP toward `zone`.
  const base::Address& addressFor(transport::Zone zone) const {
    return bind_[static_cast<size_t>(zone)];
  }
  size_t callCount() const { return calls_.size(); }
  // A live call's media so far (counters, SRTP suites); nullopt when it has none relayed.
  std::optional<b2bua::CallRecord::Media> liveMedia(uint64_t callId) const;
  // The SRTP mode of leg `side` of `call`: the provider's `srtp`, else its zone's, else the
  // zone's default (config/media_config.h).
  srtp::SrtpMode srtpMode(const b2bua::Call& call, b2bua::Side side) const;

 private:
  struct CallMedia {
    std::vector<std::shared_ptr<RelayStream>> streams;  // by m= index; null: never enabled
    std::vector<PeerMedia> peers[2];                    // what each leg's SDP said last
    std::vector<SdesLeg> sdes[2];                       // each leg's keys, by m= index
    bool hold[2] = {false, false};  // that SDP sends nothing (sendonly/inactive/0.0.0.0)
    int64_t answeredMs = 0;         // 0 while unanswered
    std::string uuid;
    transport::Zone zones[2] = {transport::Zone::kPbx, transport::Zone::kTrunk};
    bool overRateReported = false;  // the call's security event went out
  };

  // The event for `media` when its streams dropped packets over the ceilings and it has none
  // yet.
  void reportOverRate(CallMedia& media);

  b2bua::BodyDecision anchor(const b2bua::Call& call, b2bua::Side from, b2bua::SessionBody body,
                             bool isOffer);
  bool pinned(const b2bua::Call& call, b2bua::Side side) const;
  static void collect(const CallMedia& media, b2bua::CallRecord::Media& out);
  // Puts SRTP into (or takes it out of) leg `side` of `stream` as its SDES state says.
  // media.<zone>.codecs (empty: any).
  std::span<const std::string> codecsOf(transport::Zone zone) const;
  bool applySdes(const std::shared_ptr<RelayStream>& stream, int side, const SdesLeg& leg);

  struct ProviderSrtp {
    std::string name;
    std::optional<config::SrtpSetting> srtp;
    bool tls = false;
  };
  std::vector<ProviderSrtp> providers_;

  RelayEngine& engine_;
  config::MediaSettings settings_;
  bool zoneAnchors_[3] = {true, true, true};
  base::Address bind_[3];  // by transport::Zone
  std::unordered_map<uint64_t, CallMedia> calls_;
  guard::EventSink* events_ = nullptr;
};

}  // namespace tg::media
