#include "media/codec_filter.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "sip/scan.h"

namespace tg::media {
namespace {

// RFC 3551 §6 static payload types, by number.
constexpr std::array<std::pair<int, std::string_view>, 21> kStatic = {{
    {0, "PCMU"},  {3, "GSM"},   {4, "G723"},  {5, "DVI4"},  {6, "DVI4"},   {7, "LPC"},
    {8, "PCMA"},  {9, "G722"},  {10, "L16"},  {11, "L16"},  {12, "QCELP"}, {13, "CN"},
    {14, "MPA"},  {15, "G728"}, {16, "DVI4"}, {17, "DVI4"}, {18, "G729"},  {25, "CelB"},
    {26, "JPEG"}, {31, "H261"}, {34, "H263"},
}};

bool alwaysPasses(std::string_view encoding) {
  return sip::equalsIgnoreCase(encoding, "telephone-event") ||
         sip::equalsIgnoreCase(encoding, "CN");
}

bool allowedBy(std::span<const std::string> allowed, std::string_view encoding) {
  if (allowed.empty()) return true;
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& name) {
    return sip::equalsIgnoreCase(name, encoding);
  });
}

// The format an attribute value ("96 opus/48000/2", "96 minptime=10") is about.
std::string_view formatOfValue(std::string_view value) { return value.substr(0, value.find(' ')); }

}  // namespace

std::string encodingOf(const sip::SdpMedia& m, std::string_view format) {
  int pt = -1;
  const auto [end, ec] = std::from_chars(format.data(), format.data() + format.size(), pt);
  if (ec != std::errc() || end != format.data() + format.size() || pt < 0 || pt > 127) return {};
  if (auto map = m.attributes.rtpmap(static_cast<uint32_t>(pt))) return std::string(map->encoding);
  for (const auto& [number, name] : kStatic) {
    if (number == pt) return std::string(name);
  }
  return {};
}

std::string filterCodecs(sip::SdpMedia& m, std::span<const std::string> allowedA,
                         std::span<const std::string> allowedB) {
  if (m.isDisabled() || (allowedA.empty() && allowedB.empty())) return {};
  if (m.type != "audio" && m.type != "video") return {};
  std::vector<std::string> kept;
  std::vector<std::string> removed;
  bool codec = false;
  for (const std::string& format : m.formats) {
    const std::string encoding = encodingOf(m, format);
    if (alwaysPasses(encoding)) {
      kept.push_back(format);
    } else if (!encoding.empty() && allowedBy(allowedA, encoding) &&
               allowedBy(allowedB, encoding)) {
      kept.push_back(format);
      codec = true;
    } else {
      removed.push_back(format);
    }
  }
  if (!codec) return "no allowed codec in m=" + m.type + " (media.<zone>.codecs)";
  if (removed.empty()) return {};
  m.formats = std::move(kept);
  auto& items = m.attributes.items();
  items.erase(std::remove_if(items.begin(), items.end(),
                             [&](const sip::SdpAttribute& a) {
                               if (a.name != "rtpmap" && a.name != "fmtp" && a.name != "rtcp-fb") {
                                 return false;
                               }
                               const std::string_view f = formatOfValue(a.value);
                               return std::find(removed.begin(), removed.end(), f) != removed.end();
                             }),
              items.end());
  return {};
}

}  // namespace tg::media
