#include "sip/params.h"

#include "sip/scan.h"

namespace tg::sip {

namespace {

// Header parameters keep the token syntax; URI parameters (allowQuoted == false) may also hold
// the paramchar characters of RFC 3261 §25.1 that are not token characters.
inline constexpr CharTable kHeaderNameChars("-.!%*_+`'~", true);
inline constexpr CharTable kUriNameChars("-.!%*_+`'~[]/:&$()", true);
// Unquoted values: tokens, plus ':' for host:port values and the URI-parameter characters RFC
// 3261 allows unreserved in param values ('[', ']', '/', '&', '$' ...).
inline constexpr CharTable kHeaderValueChars("-.!%*_+`'~:/&$[]", true);
inline constexpr CharTable kUriValueChars("-.!%*_+`'~:/&$[]()", true);

struct Scanned {
  size_t nameStart = 0;
  size_t nameEnd = 0;
  size_t valueStart = 0;
  size_t valueEnd = 0;
  bool hasValue = false;
};

// Scans one parameter at pos (';' or white space before it). Returns an error reason, or empty
// on success; `done` is set when only white space is left. pos moves only on success.
template <bool kUri>
inline std::string_view scanOne(std::string_view text, size_t& pos, Scanned& s, bool& done) {
  constexpr const CharTable& nameChars = kUri ? kUriNameChars : kHeaderNameChars;
  constexpr const CharTable& valueChars = kUri ? kUriValueChars : kHeaderValueChars;
  const size_t n = text.size();
  size_t i = pos;
  auto skipWs = [&] {
    while (i < n && isLws(text[i])) ++i;
  };
  skipWs();
  if (i == n) {
    pos = i;
    done = true;
    return {};
  }
  if (text[i] != ';') return "expected ';' before parameter";
  ++i;
  skipWs();
  s.nameStart = i;
  i = skipWhile(text, i, nameChars);
  if (i == s.nameStart) return "empty parameter name";
  s.nameEnd = i;
  skipWs();
  s.hasValue = false;
  if (i < n && text[i] == '=') {
    ++i;
    skipWs();
    s.hasValue = true;
    const size_t start = i;
    if (i < n && text[i] == '"') {
      if (kUri) return "quoted parameter value not allowed here";
      ++i;
      bool closed = false;
      while (i < n) {
        if (text[i] == '\\') {
          i += 2;
          continue;
        }
        if (text[i++] == '"') {
          closed = true;
          break;
        }
      }
      if (!closed) return "unterminated quoted parameter value";
    } else if (i < n && text[i] == '[') {
      while (i < n && text[i] != ']') ++i;
      if (i == n) return "unterminated IPv6 reference in parameter";
      ++i;
    } else {
      i = skipWhile(text, i, valueChars);
      if (i == start) return "empty parameter value";
    }
    s.valueStart = start;
    s.valueEnd = i;
  }
  pos = i;
  done = false;
  return {};
}

}  // namespace

std::string_view ParamList::next(std::string_view text, size_t& pos, Param& p, bool allowQuoted) {
  p = Param{};
  Scanned s;
  bool done = false;
  const std::string_view err =
      allowQuoted ? scanOne<false>(text, pos, s, done) : scanOne<true>(text, pos, s, done);
  if (!err.empty() || done) return err;
  p.name = text.substr(s.nameStart, s.nameEnd - s.nameStart);
  if (s.hasValue) {
    p.hasValue = true;
    p.value = text.substr(s.valueStart, s.valueEnd - s.valueStart);
  }
  return {};
}

template <bool kUri>
std::string_view ParamList::parseInto(std::string_view text, ParamList& out) {
  out.text_ = text;
  out.count_ = 0;
  out.allowQuoted_ = !kUri;
  out.indexed_ = text.size() < kAbsent;
  out.known_.fill(Slot{});
  size_t pos = 0;
  Scanned s;
  for (;;) {
    bool done = false;
    if (std::string_view err = scanOne<kUri>(text, pos, s, done); !err.empty()) return err;
    if (done) return {};
    ++out.count_;
    const KnownParam k = knownParamFromName(text.substr(s.nameStart, s.nameEnd - s.nameStart));
    if (k == KnownParam::kNone || !out.indexed_) continue;
    Slot& slot = out.known_[static_cast<size_t>(k)];
    if (slot.name != kAbsent) continue;  // the first one wins, as for find()
    slot.name = static_cast<uint16_t>(s.nameStart);
    if (s.hasValue) {
      slot.value = static_cast<uint16_t>(s.valueStart);
      slot.valueLength = static_cast<uint16_t>(s.valueEnd - s.valueStart);
    }
  }
}

std::string_view ParamList::parse(std::string_view text, bool allowQuoted, ParamList& out) {
  return allowQuoted ? parseInto<false>(text, out) : parseInto<true>(text, out);
}

Result<ParamList> ParamList::parse(std::string_view text, bool allowQuoted) {
  ParamList list;
  if (std::string_view err = parse(text, allowQuoted, list); !err.empty()) return Error{err};
  return list;
}

std::optional<Param> ParamList::scan(std::string_view name) const {
  size_t pos = 0;
  Param p;
  while (next(text_, pos, p, allowQuoted_).empty() && !p.name.empty()) {
    if (equalsIgnoreCase(p.name, name)) return p;
  }
  return std::nullopt;
}

}  // namespace tg::sip
