#pragma once

// Generic `;name[=value]` parameter lists, as they appear after URIs, in Via, From/To, Contact
// and friends. A ParamList is a validated view of the text: it is checked once when parsed and
// scanned again on lookup, which keeps it three words big and free of allocation (lookups are
// rare and the lists short).

#include <cstddef>
#include <optional>
#include <string_view>

#include "sip/result.h"

namespace tg::sip {

struct Param {
  std::string_view name;
  std::string_view value;  // as written: quotes kept; empty for a bare flag such as ";lr"
  bool hasValue = false;
};

class ParamList {
 public:
  ParamList() = default;

  // Parses `;a=b;c;d="x;y"` (each element led by ';'). Values may be tokens, quoted strings
  // (when allowQuoted) or IPv6 references; white space around ';' and '=' is allowed.
  static Result<ParamList> parse(std::string_view text, bool allowQuoted = true);

  std::string_view text() const { return text_; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Parameter names compare case-insensitively (RFC 3261 §7.3.1).
  std::optional<Param> find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name).has_value(); }
  std::string_view get(std::string_view name) const {
    auto p = find(name);
    return p ? p->value : std::string_view{};
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
  std::string_view text_;
  size_t count_ = 0;
  bool allowQuoted_ = true;
};

}  // namespace tg::sip
