#pragma once

// Parsers for the small scalar and token-list header values (RFC 3261 §20).

#include <cstdint>
#include <string_view>

#include "sip/method.h"
#include "sip/params.h"
#include "sip/result.h"

namespace tg::sip {

struct CSeq {
  uint32_t number = 0;  // < 2^31 (RFC 3261 §8.1.1.5)
  std::string_view methodText;
  Method method = Method::kUnknown;
};
Result<CSeq> parseCSeq(std::string_view value);

// A non-negative decimal scalar with an upper bound, e.g. Max-Forwards (255), Expires and
// Content-Length (2^32-1).
Result<uint32_t> parseScalar(std::string_view value, uint32_t max);

// Call-ID = word [ "@" word ]; we check it is non-empty and has no white space or controls.
bool isValidCallId(std::string_view value);

struct MediaType {
  std::string_view type;     // "application"
  std::string_view subtype;  // "sdp"
  ParamList params;          // ";boundary=..."

  bool is(std::string_view t, std::string_view s) const;
};
Result<MediaType> parseMediaType(std::string_view value);

// Calls fn(token) for each element of a comma-separated token list (Require, Supported, Allow,
// Privacy uses ';' and is handled by the caller). Returns false if an element is not a token.
template <typename Fn>
bool forEachToken(std::string_view list, Fn&& fn);

// Splits a list header value on top-level commas (outside quotes and <>) and calls
// fn(element) with each trimmed, non-empty element.
template <typename Fn>
void forEachListElement(std::string_view value, Fn&& fn);

// The first element forEachListElement() would yield; empty when there is none.
inline std::string_view firstListElement(std::string_view value);

// True when every element of a comma-separated list is a token (what forEachToken() returns),
// checked in one pass without splitting.
bool isTokenList(std::string_view list);

}  // namespace tg::sip

#include "sip/header_values_inl.h"
