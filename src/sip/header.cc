#include "sip/header.h"

#include <array>

#include "sip/scan.h"

namespace tg::sip {
namespace {

struct HeaderInfo {
  std::string_view name;
  char compact;
};

constexpr std::array<HeaderInfo, kKnownHeaderCount> kHeaders = {{
#define TG_HEADER_INFO(id, name, compact) {name, compact},
    TG_SIP_HEADERS(TG_HEADER_INFO)
#undef TG_HEADER_INFO
}};

// Full names bucketed by length and lowercase first letter: a lookup compares against one or
// two candidates instead of all sixty.
struct NameIndex {
  static constexpr size_t kMaxLen = 24;
  // [length][first letter] -> up to 4 candidate ids.
  std::array<std::array<std::array<uint8_t, 4>, 26>, kMaxLen + 1> slots{};
  std::array<uint8_t, 26> compact{};

  constexpr NameIndex() {
    for (auto& byLen : slots) {
      for (auto& byChar : byLen) byChar.fill(0xFF);
    }
    compact.fill(0xFF);
    for (size_t i = 0; i < kHeaders.size(); ++i) {
      const auto& h = kHeaders[i];
      auto& slot = slots[h.name.size()][toLower(h.name[0]) - 'a'];
      for (auto& s : slot) {
        if (s == 0xFF) {
          s = static_cast<uint8_t>(i);
          break;
        }
      }
      if (h.compact != 0) compact[h.compact - 'a'] = static_cast<uint8_t>(i);
    }
  }
};

constexpr NameIndex kIndex;

}  // namespace

HeaderId headerIdFromName(std::string_view name) {
  if (name.empty() || name.size() > NameIndex::kMaxLen || !isAlpha(name[0])) {
    return HeaderId::kUnknown;
  }
  const size_t letter = static_cast<size_t>(toLower(name[0]) - 'a');
  if (name.size() == 1) {
    const uint8_t id = kIndex.compact[letter];
    return id == 0xFF ? HeaderId::kUnknown : static_cast<HeaderId>(id);
  }
  for (uint8_t id : kIndex.slots[name.size()][letter]) {
    if (id == 0xFF) break;
    if (equalsIgnoreCase(kHeaders[id].name, name)) return static_cast<HeaderId>(id);
  }
  return HeaderId::kUnknown;
}

std::string_view headerName(HeaderId id) {
  const auto i = static_cast<size_t>(id);
  return i < kHeaders.size() ? kHeaders[i].name : std::string_view{};
}

bool isListHeader(HeaderId id) {
  switch (id) {
    case HeaderId::kAccept:
    case HeaderId::kAcceptEncoding:
    case HeaderId::kAcceptLanguage:
    case HeaderId::kAlertInfo:
    case HeaderId::kAllow:
    case HeaderId::kAllowEvents:
    case HeaderId::kCallInfo:
    case HeaderId::kContact:
    case HeaderId::kContentEncoding:
    case HeaderId::kContentLanguage:
    case HeaderId::kErrorInfo:
    case HeaderId::kInReplyTo:
    case HeaderId::kPAssertedIdentity:
    case HeaderId::kPPreferredIdentity:
    case HeaderId::kProxyRequire:
    case HeaderId::kReason:
    case HeaderId::kRecordRoute:
    case HeaderId::kRemotePartyId:
    case HeaderId::kRequire:
    case HeaderId::kRoute:
    case HeaderId::kSupported:
    case HeaderId::kUnsupported:
    case HeaderId::kVia:
    case HeaderId::kWarning:
      return true;
    default:
      return false;
  }
}

bool isSingleValueHeader(HeaderId id) {
  switch (id) {
    case HeaderId::kCallId:
    case HeaderId::kContentLength:
    case HeaderId::kContentType:
    case HeaderId::kCSeq:
    case HeaderId::kExpires:
    case HeaderId::kFrom:
    case HeaderId::kMaxForwards:
    case HeaderId::kMinExpires:
    case HeaderId::kMinSE:
    case HeaderId::kRAck:
    case HeaderId::kRSeq:
    case HeaderId::kSessionExpires:
    case HeaderId::kTo:
      return true;
    default:
      return false;
  }
}

}  // namespace tg::sip
