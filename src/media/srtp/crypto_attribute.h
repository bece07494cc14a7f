#pragma once

// One SDES a=crypto attribute (RFC 4568) as trunkguard accepts it: a supported suite, a single
// inline master key of that suite's size, an optional lifetime and window size hint. What it
// cannot honour (MKI, several keys, key derivation rates, unencrypted or unauthenticated
// SRTP, FEC parameters, unknown session parameters) is refused with a reason fit for a 488
// Warning, so the offer's next a=crypto line can be tried.
//
// fmt prints an attribute with its key redacted; formatCryptoAttribute() writes the real line.

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "media/srtp/crypto_suite.h"
#include "media/srtp/master_key.h"
#include "sip/result.h"

namespace tg::media::srtp {

struct CryptoAttribute {
  uint32_t tag = 1;  // 1..999999999, chosen by the offerer, echoed by the answerer
  CryptoSuite suite = CryptoSuite::kAesCm128HmacSha1_80;
  MasterKey key;                           // key || salt, exactly the suite's size
  std::optional<uint64_t> lifetime;        // packets under this key, when the peer states it
  std::optional<uint32_t> windowSizeHint;  // WSH= (RFC 4568 §6.3.6), at least 64

  // Equal lines mean the same SRTP context: see keepsSrtpContext().
  bool operator==(const CryptoAttribute&) const = default;
};

// Parses the value of an a=crypto attribute (the text after "a=crypto:"). The error is a short
// static reason, e.g. "MKI not supported".
sip::Result<CryptoAttribute> parseCryptoAttribute(std::string_view value);

// The value to write after "a=crypto:": "<tag> <suite> inline:<base64>[|<lifetime>][ WSH=<n>]".
std::string formatCryptoAttribute(const CryptoAttribute& attribute);

// True when a re-offer's line is the one already in use (same tag, suite, key, lifetime and
// window hint): the relay then keeps the running SRTP contexts, so keys and rollover counters
// survive a re-INVITE. Any difference means new contexts from the new line.
bool keepsSrtpContext(const CryptoAttribute& current, const CryptoAttribute& offered);

}  // namespace tg::media::srtp

template <>
struct fmt::formatter<tg::media::srtp::CryptoAttribute> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const tg::media::srtp::CryptoAttribute& a, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{} {} inline:{}", a.tag,
                          tg::media::srtp::cryptoSuiteName(a.suite), a.key);
  }
};
