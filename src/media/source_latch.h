#pragma once

// Where one leg's peer sends media from, learned so that an RTP Bleed attacker cannot take the
// stream over (the 2017 advisories; CVE-2025-53399). A source is learned only after
// `probation` RTP packets from one address and one SSRC with consecutive sequence numbers;
// after that the source is strict: a packet from any other address is foreign (dropped and
// counted), and nothing is re-learned until a new offer resets the latch. A pinned latch takes
// its address from the SDP and learns nothing. Owned by one media thread: no locks.

#include <cstddef>
#include <cstdint>

#include "base/address.h"

namespace tg::media {

// RTP (RFC 3550 §5.1) and RTCP (§6.4) as seen on the wire; RFC 5761 §4 tells them apart on a
// muxed port by the second byte.
struct RtpHeader {
  uint32_t ssrc = 0;
  uint16_t sequence = 0;
};
bool parseRtp(const uint8_t* data, size_t size, RtpHeader& out);
bool isRtcp(const uint8_t* data, size_t size);

class SourceLatch {
 public:
  enum class Verdict : uint8_t {
    kAccept,     // from the learned (or pinned) source
    kProbation,  // not learned yet: dropped, not counted as foreign
    kForeign,    // from anyone else once learned: dropped and counted
  };

  explicit SourceLatch(int probation = 3) : probation_(probation < 1 ? 1 : probation) {}

  // A new offer: learning starts over. `expected` is the address the SDP named (invalid for
  // none); a candidate from it is never displaced by another address during probation.
  void reset(const base::Address& expected, int probation);
  // No learning: only `address` is accepted.
  void pin(const base::Address& address);

  // An RTP packet (or RTCP on a muxed port) from `from`.
  Verdict checkRtp(const base::Address& from, const uint8_t* data, size_t size);
  // An RTCP packet on the RTCP port: accepted only once RTP has latched, from the RTCP address
  // the SDP named or the port after the learned RTP source; the first such packet latches.
  Verdict checkRtcp(const base::Address& from, const SourceLatch& rtp);

  bool latched() const { return latched_; }
  const base::Address& source() const { return source_; }

 private:
  int probation_;
  bool latched_ = false;
  bool pinned_ = false;
  base::Address source_;    // the learned (or pinned) source
  base::Address expected_;  // from the SDP
  // The candidate under probation.
  base::Address candidate_;
  uint32_t candidateSsrc_ = 0;
  uint16_t lastSequence_ = 0;
  int consecutive_ = 0;
};

}  // namespace tg::media
