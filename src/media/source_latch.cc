#include "media/source_latch.h"

namespace tg::media {

bool parseRtp(const uint8_t* data, size_t size, RtpHeader& out) {
  if (size < 12 || (data[0] >> 6) != 2) return false;
  const size_t csrcBytes = static_cast<size_t>(data[0] & 0x0f) * 4;
  if (size < 12 + csrcBytes) return false;
  out.sequence = static_cast<uint16_t>((data[2] << 8) | data[3]);
  out.ssrc = (static_cast<uint32_t>(data[8]) << 24) | (static_cast<uint32_t>(data[9]) << 16) |
             (static_cast<uint32_t>(data[10]) << 8) | data[11];
  return true;
}

bool isRtcp(const uint8_t* data, size_t size) {
  // RFC 5761 §4: RTCP packet types 192-223 put 64-95 in RTP's marker+payload-type byte.
  if (size < 8 || (data[0] >> 6) != 2) return false;
  const uint8_t pt = data[1] & 0x7f;
  return pt >= 64 && pt <= 95;
}

void SourceLatch::reset(const base::Address& expected, int probation) {
  probation_ = probation < 1 ? 1 : probation;
  latched_ = false;
  pinned_ = false;
  source_ = base::Address();
  expected_ = expected;
  candidate_ = base::Address();
  consecutive_ = 0;
}

void SourceLatch::pin(const base::Address& address) {
  reset(address, probation_);
  pinned_ = true;
  latched_ = address.valid();
  source_ = address;
}

SourceLatch::Verdict SourceLatch::checkRtp(const base::Address& from, const uint8_t* data,
                                           size_t size) {
  if (latched_) return from == source_ ? Verdict::kAccept : Verdict::kForeign;
  if (pinned_) return Verdict::kForeign;  // pinned to no address (on hold): nothing passes
  RtpHeader h;
  if (!parseRtp(data, size, h) || isRtcp(data, size)) return Verdict::kProbation;
  const bool sameCandidate = consecutive_ > 0 && from == candidate_ && h.ssrc == candidateSsrc_;
  if (sameCandidate && h.sequence == static_cast<uint16_t>(lastSequence_ + 1)) {
    ++consecutive_;
  } else if (sameCandidate || consecutive_ == 0 || !(candidate_ == expected_) ||
             from == expected_) {
    // Start over with this packet, unless it would displace a candidate the SDP named.
    candidate_ = from;
    candidateSsrc_ = h.ssrc;
    consecutive_ = 1;
  } else {
    return Verdict::kProbation;
  }
  lastSequence_ = h.sequence;
  if (consecutive_ < probation_) return Verdict::kProbation;
  latched_ = true;
  source_ = from;
  return Verdict::kAccept;
}

SourceLatch::Verdict SourceLatch::checkRtcp(const base::Address& from, const SourceLatch& rtp) {
  if (latched_) return from == source_ ? Verdict::kAccept : Verdict::kForeign;
  if (pinned_) return Verdict::kForeign;
  if (!rtp.latched()) return Verdict::kProbation;
  // The RTCP address the SDP named, or the port after the learned RTP source's (RFC 3550
  // §11): never any port of the same host, which may be shared with others.
  base::Address next = rtp.source();
  next.setPort(static_cast<uint16_t>(rtp.source().port() + 1));
  if (!(from == expected_) && !(from == next)) return Verdict::kForeign;
  latched_ = true;
  source_ = from;
  return Verdict::kAccept;
}

}  // namespace tg::media
