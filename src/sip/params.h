#pragma once

// Generic `;name[=value]` parameter lists, as they appear after URIs, in Via, From/To, Contact
// and friends. A ParamList is a validated view of the text: it is checked once when parsed. The
// same pass records where the well-known parameters (branch, tag, expires...) are, so that the
// lookups a proxy makes on every message cost O(1); other names are found by scanning the text
// again (rare, and the lists are short). The list is a trivially copyable value with no
// allocation.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/result.h"
#include "sip/scan.h"

namespace tg::sip {

struct Param {
  std::string_view name;
  std::string_view value;  // as written: quotes kept; empty for a bare flag such as ";lr"
  bool hasValue = false;
};

// Parameters looked up on the message path (RFC 3261 §20 and §19.1.1; RFC 3581 rport).
enum class KnownParam : uint8_t {
  kBranch,
  kTag,
  kRport,
  kReceived,
  kMaddr,
  kTransport,
  kLr,
  kExpires,
  kQ,
  kNone,  // any other name
};
inline constexpr size_t kKnownParamCount = static_cast<size_t>(KnownParam::kNone);

// The lowercase name of a known parameter ("branch"); empty for kNone.
constexpr std::string_view knownParamName(KnownParam k) {
  constexpr std::string_view kNames[] = {"branch",    "tag", "rport",   "received", "maddr",
                                         "transport", "lr",  "expires", "q",        ""};
  return kNames[static_cast<size_t>(k)];
}

// Which known parameter a name is (compared case-insensitively, RFC 3261 §7.3.1); kNone for any
// other. Dispatches on the length so that a name is compared with at most two candidates.
constexpr KnownParam knownParamFromName(std::string_view name) {
  auto is = [&](KnownParam k) {
    const std::string_view known = knownParamName(k);
    for (size_t i = 0; i < known.size(); ++i) {
      if (toLower(name[i]) != known[i]) return false;
    }
    return true;
  };
  switch (name.size()) {
    case 1:
      return is(KnownParam::kQ) ? KnownParam::kQ : KnownParam::kNone;
    case 2:
      return is(KnownParam::kLr) ? KnownParam::kLr : KnownParam::kNone;
    case 3:
      return is(KnownParam::kTag) ? KnownParam::kTag : KnownParam::kNone;
    case 5:
      if (is(KnownParam::kRport)) return KnownParam::kRport;
      return is(KnownParam::kMaddr) ? KnownParam::kMaddr : KnownParam::kNone;
    case 6:
      return is(KnownParam::kBranch) ? KnownParam::kBranch : KnownParam::kNone;
    case 7:
      return is(KnownParam::kExpires) ? KnownParam::kExpires : KnownParam::kNone;
    case 8:
      return is(KnownParam::kReceived) ? KnownParam::kReceived : KnownParam::kNone;
    case 9:
      return is(KnownParam::kTransport) ? KnownParam::kTransport : KnownParam::kNone;
    default:
      return KnownParam::kNone;
  }
}

class ParamList {
 public:
  ParamList() = default;

  // Parses `;a=b;c;d="x;y"` (each element led by ';'). Values may be tokens, quoted strings
  // (when allowQuoted) or IPv6 references; white space around ';' and '=' is allowed.
  static Result<ParamList> parse(std::string_view text, bool allowQuoted = true);
  // The same into existing storage: returns the error reason, empty on success (then `out`
  // holds the list; on failure its content is unspecified).
  static std::string_view parse(std::string_view text, bool allowQuoted, ParamList& out);

  std::string_view text() const { return text_; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Parameter names compare case-insensitively (RFC 3261 §7.3.1). With several parameters of
  // the same name, the first one is found.
  std::optional<Param> find(std::string_view name) const {
    const KnownParam k = knownParamFromName(name);
    return k != KnownParam::kNone ? find(k) : scan(name);
  }
  bool has(std::string_view name) const { return find(name).has_value(); }
  std::string_view get(std::string_view name) const {
    auto p = find(name);
    return p ? p->value : std::string_view{};
  }

  // O(1) lookups of the well-known parameters (kNone finds nothing).
  std::optional<Param> find(KnownParam k) const {
    if (k == KnownParam::kNone) return std::nullopt;
    if (!indexed_) return scan(knownParamName(k));
    const Slot& s = known_[static_cast<size_t>(k)];
    if (s.name == kAbsent) return std::nullopt;
    Param p;
    p.name = std::string_view(text_.data() + s.name, knownParamName(k).size());
    if (s.valueLength != 0) {
      p.value = std::string_view(text_.data() + s.value, s.valueLength);
      p.hasValue = true;
    }
    return p;
  }
  bool has(KnownParam k) const {
    if (k == KnownParam::kNone || !indexed_) return find(k).has_value();
    return known_[static_cast<size_t>(k)].name != kAbsent;
  }
  std::string_view get(KnownParam k) const {
    if (k == KnownParam::kNone || !indexed_) {
      auto p = find(k);
      return p ? p->value : std::string_view{};
    }
    const Slot& s = known_[static_cast<size_t>(k)];
    return s.valueLength != 0 ? std::string_view(text_.data() + s.value, s.valueLength)
                              : std::string_view{};
  }

  // Calls fn(const Param&) for each parameter in order.
  template <typename Fn>
  void forEach(Fn&& fn) const {
    size_t pos = 0;
    Param p;
    while (next(text_, pos, p, allowQuoted_).empty() && !p.name.empty()) fn(p);
  }

  // Scans one parameter starting at pos (which points at ';' or white space before it).
  // Returns an error reason, or empty on success; p.name is empty when the text is exhausted.
  static std::string_view next(std::string_view text, size_t& pos, Param& p, bool allowQuoted);

 private:
  static constexpr uint16_t kAbsent = 0xFFFF;
  // Where the first parameter of a known name is: offsets into text_ (a flag has no value, and
  // a value is never empty, so valueLength == 0 means "no value").
  struct Slot {
    uint16_t name = kAbsent;
    uint16_t value = 0;
    uint16_t valueLength = 0;
  };

  // The first parameter called `name`, by scanning the text.
  std::optional<Param> scan(std::string_view name) const;
  template <bool kUri>
  static std::string_view parseInto(std::string_view text, ParamList& out);

  std::string_view text_;
  uint32_t count_ = 0;
  bool allowQuoted_ = true;
  // False when the text is too long for 16-bit offsets: lookups then scan.
  bool indexed_ = true;
  std::array<Slot, kKnownParamCount> known_{};
};

}  // namespace tg::sip
