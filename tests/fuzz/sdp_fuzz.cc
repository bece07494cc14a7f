// libFuzzer target for the SDP parser: anything that parses must serialize, parse again to the
// same model and serialize to the same text (the media relay relies on that round trip).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sip/sdp.h"

namespace tg::sip {
namespace {

// Touches every typed accessor so their parsers see fuzzed values too.
size_t exerciseAccessors(const SdpAttributes& attrs, const std::vector<std::string>& formats) {
  size_t n = attrs.rtpmaps().size() + attrs.cryptos().size();
  n += attrs.fingerprint().has_value() + attrs.setup().has_value() + attrs.rtcp().has_value();
  n += attrs.ptime().value_or(0);
  n += static_cast<size_t>(attrs.direction().value_or(SdpDirection::kSendRecv));
  for (const auto& f : formats) {
    if (auto fmtp = attrs.fmtp(f)) n += fmtp->param("mode").size();
  }
  return n;
}

volatile size_t sink;  // keeps the accessor calls from being optimised away

void checkRoundTrip(std::string_view input) {
  auto first = parseSdp(input);
  if (!first.ok()) return;

  size_t n = exerciseAccessors(first->attributes, {});
  for (const auto& m : first->media) {
    n += exerciseAccessors(m.attributes, m.formats);
    n += effectiveConnection(*first, m) != nullptr;
    n += static_cast<size_t>(effectiveDirection(*first, m));
  }
  sink = n;

  const std::string text = serializeSdp(*first);
  // Serializing can grow a body (LF becomes CRLF), so the size limit is relaxed for the re-parse.
  SdpLimits relaxed;
  relaxed.maxBodySize *= 2;
  auto second = parseSdp(text, relaxed);
  if (!second.ok()) abort();
  if (!(*second == *first)) abort();
  if (serializeSdp(*second) != text) abort();
}

}  // namespace
}  // namespace tg::sip

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tg::sip::checkRoundTrip(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
