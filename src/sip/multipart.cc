#include "sip/multipart.h"

#include <optional>

#include "sip/scan.h"

namespace tg::sip {
namespace {

using std::string_view;
constexpr size_t npos = string_view::npos;

// bchars (RFC 2046 §5.1.1): 1..70 of DIGIT / ALPHA / ' ( ) + _ , - . / : = ? and space, the
// last not a space.
bool isValidBoundary(string_view b) {
  constexpr string_view kSpecials = "'()+_,-./:=? ";
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b) {
    if (!isAlnum(c) && kSpecials.find(c) == npos) return false;
  }
  return true;
}

// RFC 5322 field name: printable ASCII except ':'.
bool isFieldName(string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 33 || c > 126 || c == ':') return false;
  }
  return true;
}

struct Delimiter {
  size_t lineStart;  // where "--boundary" begins
  size_t next;       // first byte after the delimiter line
  bool close;        // "--boundary--"
};

// Finds the next "--boundary" that starts a line at or after `from` and is followed by "--",
// or by optional transport padding and a line break. "--boundaryXYZ" is content, not a
// delimiter.
std::optional<Delimiter> findDelimiter(string_view body, string_view boundary, size_t from) {
  size_t p = from;
  while ((p = body.find(boundary, p)) != npos) {
    const size_t hit = p++;
    if (hit < from + 2 || body[hit - 1] != '-' || body[hit - 2] != '-') continue;
    const size_t lineStart = hit - 2;
    if (lineStart != 0 && body[lineStart - 1] != '\n') continue;
    size_t q = hit + boundary.size();
    if (body.substr(q, 2) == "--") return Delimiter{lineStart, body.size(), true};
    while (q < body.size() && isWsp(body[q])) ++q;
    if (body.substr(q, 2) == "\r\n") return Delimiter{lineStart, q + 2, false};
    if (body.substr(q, 1) == "\n") return Delimiter{lineStart, q + 1, false};
  }
  return std::nullopt;
}

Result<BodyPart> parsePart(string_view content) {
  constexpr Error kBadHeader{"malformed multipart part header"};
  BodyPart part;
  size_t pos = 0;
  size_t valueBegin = 0;  // of the last header, to extend it over folded lines
  while (pos < content.size()) {
    const size_t nl = content.find('\n', pos);
    const size_t next = nl == npos ? content.size() : nl + 1;
    string_view line = content.substr(pos, next - pos);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      part.body = content.substr(next);
      return part;
    }
    if (isWsp(line.front())) {
      if (part.headers.empty()) return kBadHeader;
      part.headers.back().value = trim(content.substr(valueBegin, pos + line.size() - valueBegin));
    } else {
      const size_t colon = line.find(':');
      if (colon == npos) return kBadHeader;
      string_view name = line.substr(0, colon);
      while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
      if (!isFieldName(name)) return kBadHeader;
      if (part.headers.size() >= kMaxBodyPartHeaders) {
        return Error{"too many multipart part headers"};
      }
      valueBegin = pos + colon + 1;
      part.headers.push_back(BodyPartHeader{name, trim(line.substr(colon + 1))});
    }
    pos = next;
  }
  return part;  // headers only: the body-part grammar makes the CRLF and body optional
}

}  // namespace

std::string_view BodyPart::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

bool BodyPart::hasContentType(std::string_view mediaType) const {
  const string_view type = contentType();
  return equalsIgnoreCase(trim(type.substr(0, type.find(';'))), mediaType);
}

Result<std::vector<BodyPart>> parseMultipart(std::string_view body, std::string_view boundary,
                                             size_t maxParts) {
  if (!isValidBoundary(boundary)) return Error{"invalid multipart boundary"};
  auto delimiter = findDelimiter(body, boundary, 0);
  if (!delimiter) return Error{"multipart boundary not found"};
  if (delimiter->close) return Error{"multipart body has no parts"};
  std::vector<BodyPart> parts;
  while (true) {
    const size_t start = delimiter->next;
    delimiter = findDelimiter(body, boundary, start);
    if (!delimiter) return Error{"multipart body missing close delimiter"};
    if (parts.size() >= maxParts) return Error{"too many multipart parts"};
    // The line break before the delimiter is part of the delimiter, not of the content.
    size_t end = delimiter->lineStart;
    if (end > start && body[end - 1] == '\n') --end;
    if (end > start && body[end - 1] == '\r') --end;
    auto part = parsePart(body.substr(start, end - start));
    if (!part) return Error{part.error()};
    parts.push_back(std::move(*part));
    if (delimiter->close) return parts;
  }
}

std::string_view boundaryFromContentType(std::string_view v) {
  size_t pos = v.find(';');
  while (pos != npos && pos < v.size()) {
    ++pos;  // past ';'
    size_t eq = pos;
    while (eq < v.size() && v[eq] != '=' && v[eq] != ';') ++eq;
    const string_view name = trim(v.substr(pos, eq - pos));
    if (eq >= v.size() || v[eq] == ';') {
      pos = eq;  // a parameter without a value
      continue;
    }
    size_t p = eq + 1;
    while (p < v.size() && isWsp(v[p])) ++p;
    string_view value;
    if (p < v.size() && v[p] == '"') {
      size_t q = p + 1;
      while (q < v.size() && v[q] != '"') q += v[q] == '\\' ? 2 : 1;
      if (q >= v.size()) return {};  // unterminated quoted string
      value = v.substr(p + 1, q - p - 1);
      pos = v.find(';', q + 1);
    } else {
      size_t q = p;
      while (q < v.size() && v[q] != ';' && !isLws(v[q])) ++q;
      value = v.substr(p, q - p);
      pos = v.find(';', q);
    }
    if (equalsIgnoreCase(name, "boundary")) return value;
  }
  return {};
}

}  // namespace tg::sip
