#pragma once

// multipart/* bodies (RFC 2046 §5.1) as SIP carries them: SDP next to an ISUP blob, a PIDF-LO
// location or an S/MIME signature. Parts are views into the body; nothing is copied, so the
// body must outlive them. Nested multiparts are parsed by calling parseMultipart again on a part.

#include <cstddef>
#include <string_view>
#include <vector>

#include "sip/result.h"

namespace tg::sip {

struct BodyPartHeader {
  std::string_view name;
  std::string_view value;  // trimmed; a folded value keeps its inner line breaks
};

struct BodyPart {
  std::vector<BodyPartHeader> headers;  // in order
  std::string_view body;

  // The first header of that name (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
  // Without a Content-Type a part is text/plain (RFC 2046 §5.1), reported here as empty.
  std::string_view contentType() const { return header("Content-Type"); }
  std::string_view contentDisposition() const { return header("Content-Disposition"); }
  // Whether Content-Type's type/subtype, parameters ignored, is `mediaType` (case-insensitive).
  bool hasContentType(std::string_view mediaType) const;
};

// Limits on one part's header block; parts themselves are bounded by maxParts.
inline constexpr size_t kMaxBodyPartHeaders = 64;

// Splits `body` at "--boundary" lines. The preamble and epilogue are ignored, the close delimiter
// "--boundary--" is required, and at least one part must be present. CRLF and bare LF line ends
// are both accepted; the line break before a delimiter belongs to the delimiter.
Result<std::vector<BodyPart>> parseMultipart(std::string_view body, std::string_view boundary,
                                             size_t maxParts = 32);

// The boundary parameter of a Content-Type value such as `multipart/mixed;boundary=abc` or
// `multipart/related; type="application/sdp"; boundary="x y"` (quotes removed); empty if none.
std::string_view boundaryFromContentType(std::string_view contentTypeValue);

}  // namespace tg::sip
