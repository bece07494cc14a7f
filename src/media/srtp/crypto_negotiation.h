#pragma once

// SDES offer/answer for one media stream (RFC 4568 §7): which a=crypto line of a peer's offer
// trunkguard accepts, under the leg's `srtp: required | optional | off` policy and the local
// suite preference; the answer line (a fresh key under the offerer's tag and suite); trunkguard's
// own offer lines; and which of them a peer's answer accepted. Refusals carry a reason for the
// 488's Warning.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "media/srtp/crypto_attribute.h"
#include "media/srtp/crypto_suite.h"
#include "sip/result.h"

namespace tg::media::srtp {

enum class SrtpMode : uint8_t {
  kRequired,  // only SRTP with an acceptable a=crypto line; anything else is refused
  kOptional,  // SRTP when the offer carries an acceptable line, plain RTP otherwise
  kOff,       // plain RTP; an offer that allows nothing else (RTP/SAVP) is refused
};

std::string_view srtpModeName(SrtpMode mode);
std::optional<SrtpMode> srtpModeFromName(std::string_view name);

// The answerer's side of one stream.
struct CryptoChoice {
  enum class Outcome : uint8_t { kSrtp, kPlainRtp, kRefused };

  Outcome outcome = Outcome::kRefused;
  // kSrtp: the peer's line that was accepted; its key unprotects what that peer sends.
  std::optional<CryptoAttribute> accepted;
  // kRefused: why, for the 488 Warning; kPlainRtp: why the stream stays unencrypted.
  std::string reason;
};

// `offeredLines` are the stream's a=crypto values in offer order; `secureProfile` is whether
// its m= line asks for SRTP (RTP/SAVP, RTP/SAVPF). The first suite of `preference` that any
// acceptable line offers wins (the earliest such line); suites missing from `preference` are
// never accepted.
CryptoChoice chooseCrypto(std::span<const std::string_view> offeredLines, bool secureProfile,
                          std::span<const CryptoSuite> preference, SrtpMode mode);

// The answer to an accepted line: the offerer's tag and suite with a fresh key of trunkguard's;
// nullopt only when the CSPRNG fails.
std::optional<CryptoAttribute> makeAnswerLine(const CryptoAttribute& accepted);

// trunkguard's offer: one line per suite of `preference`, tags 1, 2, ..., each with a fresh
// key; empty only when the CSPRNG fails.
std::vector<CryptoAttribute> makeOfferLines(std::span<const CryptoSuite> preference);

// The peer's answer to `offered`: the answer line must be well formed and echo the tag and suite
// of one offered line. Returns the peer's attribute (its key unprotects what the peer sends);
// the offered line with that tag keeps protecting what trunkguard sends.
sip::Result<CryptoAttribute> acceptAnswerLine(std::span<const CryptoAttribute> offered,
                                              std::string_view answerLine);

}  // namespace tg::media::srtp
