#include "sip/header.h"

#include <array>
#include <cstring>

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

// Lowercased names, zero-padded to 24 bytes, so that a candidate compares in three 8-byte words.
struct LowerNames {
  std::array<std::array<uint64_t, 3>, kKnownHeaderCount> words{};
  constexpr LowerNames() {
    for (size_t i = 0; i < kHeaders.size(); ++i) {
      for (size_t j = 0; j < kHeaders[i].name.size(); ++j) {
        const auto c = static_cast<unsigned char>(toLower(kHeaders[i].name[j]));
        words[i][j / 8] |= static_cast<uint64_t>(c) << (8 * (j % 8));
      }
    }
  }
};
constexpr LowerNames kLower;

HeaderId headerIdFromName(std::string_view name) {
  if (name.empty() || name.size() > NameIndex::kMaxLen || !isAlpha(name[0])) {
    return HeaderId::kUnknown;
  }
  const size_t letter = static_cast<size_t>(toLower(name[0]) - 'a');
  if (name.size() == 1) {
    const uint8_t id = kIndex.compact[letter];
    return id == 0xFF ? HeaderId::kUnknown : static_cast<HeaderId>(id);
  }
  // Lowercase eight bytes at a time: set 0x20 in every byte that has 0x40 set. Letters become
  // lowercase; the other bytes with 0x40 ('@', '[', '_' ...) map to non-letters, so they can
  // never match a known name, which holds only letters and '-'.
  unsigned char buf[24] = {};
  std::memcpy(buf, name.data(), name.size());
  uint64_t lw[3];
  std::memcpy(lw, buf, sizeof(lw));
  for (uint64_t& w : lw) w |= (w & 0x4040404040404040ull) >> 1;
  for (uint8_t id : kIndex.slots[name.size()][letter]) {
    if (id == 0xFF) break;
    const auto& c = kLower.words[id];
    if (((lw[0] ^ c[0]) | (lw[1] ^ c[1]) | (lw[2] ^ c[2])) == 0) return static_cast<HeaderId>(id);
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
  for (HeaderId single : kSingleValueHeaders) {
    if (single == id) return true;
  }
  return false;
}

}  // namespace tg::sip
