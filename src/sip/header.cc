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

// Full names by a perfect hash of their length, first and middle characters (with 0x20 set, so
// that case does not matter): a lookup compares against one candidate. The constructor checks
// that no two names share a slot; the multipliers were picked so that none do.
struct NameIndex {
  static constexpr size_t kMaxLen = 24;
  static constexpr size_t kSlots = 256;
  std::array<uint8_t, kSlots> slots{};
  std::array<uint8_t, 26> compact{};
  bool collisionFree = true;

  static constexpr size_t hash(const char* name, size_t length) {
    const auto first = static_cast<unsigned char>(name[0] | 0x20);
    const auto middle = static_cast<unsigned char>(name[length / 2] | 0x20);
    return (length + first * 18 + middle * 31) % kSlots;
  }

  constexpr NameIndex() {
    slots.fill(0xFF);
    compact.fill(0xFF);
    for (size_t i = 0; i < kHeaders.size(); ++i) {
      const auto& h = kHeaders[i];
      uint8_t& slot = slots[hash(h.name.data(), h.name.size())];
      if (slot != 0xFF) collisionFree = false;
      slot = static_cast<uint8_t>(i);
      if (h.compact != 0) compact[h.compact - 'a'] = static_cast<uint8_t>(i);
    }
  }
};

constexpr NameIndex kIndex;
static_assert(kIndex.collisionFree, "pick other multipliers in NameIndex::hash");

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

namespace {

static_assert(kHeaderNameWordBytes == 3 * sizeof(uint64_t));

// kNameMasks[n] keeps the first n bytes of three little-endian words.
struct NameMasks {
  std::array<std::array<uint64_t, 3>, NameIndex::kMaxLen + 1> words{};
  constexpr NameMasks() {
    for (size_t len = 0; len <= NameIndex::kMaxLen; ++len) {
      for (size_t j = 0; j < len; ++j) words[len][j / 8] |= uint64_t{0xFF} << (8 * (j % 8));
    }
  }
};
constexpr NameMasks kNameMasks;

// Compares the name's words, lowercased eight bytes at a time (0x20 set in every byte that has
// 0x40 set: letters become lowercase; the other bytes with 0x40 ('@', '[', '_' ...) map to
// non-letters, so they can never match a known name, which holds only letters and '-'), with
// the one candidate. A name of another length differs in some byte, as the words of both are
// zero past their ends.
HeaderId lookupWords(const char* name, size_t length, uint64_t (&lw)[3]) {
  const uint8_t id = kIndex.slots[NameIndex::hash(name, length)];
  if (id == 0xFF) return HeaderId::kUnknown;
  for (uint64_t& w : lw) w |= (w & 0x4040404040404040ull) >> 1;
  const auto& c = kLower.words[id];
  if (((lw[0] ^ c[0]) | (lw[1] ^ c[1]) | (lw[2] ^ c[2])) == 0) return static_cast<HeaderId>(id);
  return HeaderId::kUnknown;
}

// Settles the names that need no word compare (empty, too long, not starting with a letter,
// compact forms) and returns true.
bool settledWithoutWords(const char* name, size_t length, HeaderId& id) {
  id = HeaderId::kUnknown;
  if (length == 0 || length > NameIndex::kMaxLen || !isAlpha(name[0])) return true;
  if (length > 1) return false;
  const uint8_t compact = kIndex.compact[static_cast<size_t>(toLower(name[0]) - 'a')];
  if (compact != 0xFF) id = static_cast<HeaderId>(compact);
  return true;
}

}  // namespace

HeaderId headerIdFromName(std::string_view name) {
  if (HeaderId id; settledWithoutWords(name.data(), name.size(), id)) return id;
  unsigned char buf[kHeaderNameWordBytes] = {};
  std::memcpy(buf, name.data(), name.size());
  uint64_t lw[3];
  std::memcpy(lw, buf, sizeof(lw));
  return lookupWords(name.data(), name.size(), lw);
}

HeaderId headerIdFromNameWords(const char* name, size_t length) {
  if (HeaderId id; settledWithoutWords(name, length, id)) return id;
  uint64_t lw[3];
  std::memcpy(lw, name, sizeof(lw));
  for (size_t k = 0; k < 3; ++k) lw[k] &= kNameMasks.words[length][k];
  return lookupWords(name, length, lw);
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
