#pragma once

// Per-direction SRTP contexts over libsrtp2: an SrtpSender protects what trunkguard sends on a
// leg (with trunkguard's own key for that leg), an SrtpReceiver checks and decrypts what the
// leg's peer sends (with the peer's key). Packets are transformed in place in the caller's
// buffer and nothing is allocated or locked per packet (libsrtp clones its per-SSRC state once,
// on a new SSRC's first packet, and for a receiver only once that packet has authenticated).
// libsrtp2 as Debian builds it does its AES and HMAC through NSS, which allocates and locks
// inside each call, so the first context created replaces those primitives with OpenSSL ones
// that keep their state per context (openssl_primitives.h); docs/benchmarks.md "SRTP".
//
// Every packet a receiver accepts has been authenticated and passed the replay window (128
// packets, or the peer's WSH up to 1024); a sender refuses to reuse a sequence number (which
// would reuse keystream). Failures are an SrtpStatus the relay counts, never an exception.
//
// One object is used by one thread at a time. A context survives a re-INVITE whose a=crypto
// line is unchanged (keepsSrtpContext()), keeping its rollover counters.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "media/srtp/crypto_attribute.h"
#include "media/srtp/crypto_suite.h"
#include "sip/result.h"

struct srtp_ctx_t_;

namespace tg::media::srtp {

enum class SrtpStatus : uint8_t {
  kOk,
  kAuthFailure,  // the tag did not verify: forged, corrupted or wrong key
  kReplay,       // already seen or older than the replay window (receiver); reused index (sender)
  kBadLength,    // too short, a header longer than the packet, or no room for the tag
  kFailure,      // anything else libsrtp reports (e.g. the key's packet limit reached)
};

std::string_view srtpStatusName(SrtpStatus status);

namespace detail {
struct SrtpContextDeleter {
  void operator()(srtp_ctx_t_* context) const;
};
using SrtpContextPtr = std::unique_ptr<srtp_ctx_t_, SrtpContextDeleter>;
}  // namespace detail

class SrtpSender {
 public:
  // Fails (with a reason) only if libsrtp cannot be initialised or refuses the key.
  static sip::Result<SrtpSender> create(const CryptoAttribute& local);

  // `buffer` holds the packet in its first `length` bytes and must have room for the suite's
  // tag after it (kMaxProtectOverhead always suffices); on kOk, `length` is the SRTP or SRTCP
  // packet's. On failure the buffer's contents are unspecified and `length` is unchanged.
  SrtpStatus protectRtp(std::span<uint8_t> buffer, size_t& length);
  SrtpStatus protectRtcp(std::span<uint8_t> buffer, size_t& length);

  CryptoSuite suite() const { return suite_; }

 private:
  SrtpSender(detail::SrtpContextPtr context, CryptoSuite suite)
      : context_(std::move(context)), suite_(suite) {}

  detail::SrtpContextPtr context_;
  CryptoSuite suite_;
};

class SrtpReceiver {
 public:
  static sip::Result<SrtpReceiver> create(const CryptoAttribute& remote);

  // `packet` holds an SRTP (SRTCP) packet in its first `length` bytes; on kOk they hold the
  // RTP (RTCP) packet and `length` is its length. On failure `length` is unchanged and the
  // packet must be dropped.
  SrtpStatus unprotectRtp(std::span<uint8_t> packet, size_t& length);
  SrtpStatus unprotectRtcp(std::span<uint8_t> packet, size_t& length);

  CryptoSuite suite() const { return suite_; }

 private:
  SrtpReceiver(detail::SrtpContextPtr context, CryptoSuite suite)
      : context_(std::move(context)), suite_(suite) {}

  detail::SrtpContextPtr context_;
  CryptoSuite suite_;
};

}  // namespace tg::media::srtp
