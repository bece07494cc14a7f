#pragma once

// One relayed stream (one m= line of a call): a socket pair on each leg, what each leg's SDP
// said, the latches and the counters. The sockets are bound on the SIP worker when an offer
// opens the stream; from then on everything but the counters belongs to the media thread the
// stream was given to (the worker changes it only through that thread's commands).

#include <atomic>
#include <cstdint>
#include <memory>

#include "base/address.h"
#include "media/packet_transform.h"
#include "media/payload_types.h"
#include "media/rate_ceiling.h"
#include "media/sdp_anchor.h"
#include "media/source_latch.h"

namespace tg::media {

inline constexpr int kSideA = 0;
inline constexpr int kSideB = 1;

// Written by the media thread (once per batch), read by the worker at the call's end.
struct StreamCounters {
  // Index: the leg the packets came in on (kSideA: A to B).
  std::atomic<uint64_t> packets[2] = {0, 0};
  std::atomic<uint64_t> bytes[2] = {0, 0};
  std::atomic<uint64_t> foreign[2] = {0, 0};  // from a source that is not the latched one
  // SRTP that did not authenticate or was replayed (the inbound transform refused it).
  std::atomic<uint64_t> unauthenticated[2] = {0, 0};
  std::atomic<uint64_t> overRate[2] = {0, 0};  // above the stream's ceilings
  // RTP whose payload type neither leg's SDP listed for the stream (payload_types.h).
  std::atomic<uint64_t> payloadType[2] = {0, 0};
  std::atomic<int64_t> lastPacketMs{0};  // steady clock, the last packet relayed either way
};

class RelayStream;

// What an epoll event points at: one socket of one leg.
struct SocketRef {
  RelayStream* stream = nullptr;
  uint8_t side = 0;
  bool rtcp = false;
};

struct RelayLeg {
  int rtpFd = -1;
  int rtcpFd = -1;
  uint16_t rtpPort = 0;  // even; RTCP on rtpPort + 1
  base::Address bind;
  // Media thread only.
  PeerMedia peer;  // where this leg's peer said it receives
  SourceLatch rtpLatch;
  SourceLatch rtcpLatch;
  RateCeiling ceiling;   // what this leg's peer may send (RTP and RTCP together)
  PayloadTypes formats;  // the payload types this leg's SDP listed for the stream
  // SRTP's unprotect for packets from this leg's peer (before they can teach the latch
  // anything) and protect for packets to it; null: plain RTP on this leg.
  std::shared_ptr<PacketTransform> inbound;
  std::shared_ptr<PacketTransform> outbound;
  SocketRef refs[2];  // [0] RTP, [1] RTCP
};

class RelayStream {
 public:
  RelayLeg legs[2];
  StreamCounters counters;
  size_t thread = 0;  // the media thread that owns it
};

}  // namespace tg::media
