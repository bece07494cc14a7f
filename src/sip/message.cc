#include "sip/message.h"

#include <algorithm>
#include <cstring>

#include "sip/scan.h"

namespace tg::sip {
namespace {

constexpr uint16_t kNone = 0xFFFF;

// "SIP/2.0" and friends: the literal is case-insensitive, the numbers are digits.
bool isSipVersion(std::string_view v) {
  if (!startsWithIgnoreCase(v, "SIP/")) return false;
  v.remove_prefix(4);
  const size_t dot = v.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == v.size()) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i != dot && !isDigit(v[i])) return false;
  }
  return true;
}

std::string_view stripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

void Message::reset() {
  buffer_.clear();
  unfolded_.clear();
  headers_.clear();
  first_.fill(kNone);
  counts_.fill(0);
  isRequest_ = false;
  method_ = Method::kUnknown;
  methodText_ = requestUriText_ = version_ = reasonPhrase_ = startLine_ = body_ = text_ = {};
  statusCode_ = 0;
  trailing_ = 0;
  requestUri_.state = from_.state = to_.state = contact_.state = topVia_.state = cseq_.state =
      maxForwards_.state = expires_.state = contentLength_.state = LazyState::kUnparsed;
}

ParseStatus Message::parse(std::string bytes, const ParseOptions& options) {
  reset();
  buffer_ = std::move(bytes);
  const std::string_view all = buffer_;
  const size_t n = all.size();

  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  size_t pos = 0;
  while (pos < n && (all[pos] == '\r' || all[pos] == '\n')) ++pos;
  const size_t messageStart = pos;
  const size_t eol = all.find('\n', pos);
  if (eol == std::string_view::npos) return {"start line not terminated"};
  if (ParseStatus st = parseStartLine(stripCr(all.substr(pos, eol - pos))); !st.ok()) return st;

  size_t headersEnd = 0;
  if (ParseStatus st = parseHeaders(eol + 1, options, headersEnd); !st.ok()) return st;

  const size_t available = n - headersEnd;
  size_t bodyLength = available;
  if (options.framing == Framing::kStream && !has(HeaderId::kContentLength)) {
    return {"Content-Length is required on stream transports"};
  }
  if (has(HeaderId::kContentLength)) {
    auto cl = parseScalar(value(HeaderId::kContentLength), UINT32_MAX);
    if (!cl) return {"malformed Content-Length"};
    if (*cl > available) return {"Content-Length larger than the message body"};
    bodyLength = *cl;
    contentLength_.value = *cl;  // contentLength() would parse the same value again
    contentLength_.state = LazyState::kOk;
  }
  body_ = all.substr(headersEnd, bodyLength);
  trailing_ = available - bodyLength;
  text_ = all.substr(messageStart, headersEnd + bodyLength - messageStart);
  return {};
}

ParseStatus Message::parseStartLine(std::string_view line) {
  startLine_ = line;
  if (startsWithIgnoreCase(line, "SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    isRequest_ = false;
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return {"malformed status line"};
    version_ = line.substr(0, sp);
    if (!isSipVersion(version_)) return {"malformed SIP version"};
    std::string_view rest = line.substr(sp + 1);
    if (rest.size() < 3 || !isDigit(rest[0]) || !isDigit(rest[1]) || !isDigit(rest[2])) {
      return {"malformed status code"};
    }
    if (rest.size() > 3 && rest[3] != ' ') return {"malformed status code"};
    statusCode_ = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
    reasonPhrase_ = rest.size() > 4 ? rest.substr(4) : std::string_view{};
    for (char c : reasonPhrase_) {
      if (c == '\r' || c == '\n' || c == '\0') return {"control character in reason phrase"};
    }
    return {};
  }

  // Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP between elements.
  isRequest_ = true;
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return {"malformed request line"};
  methodText_ = line.substr(0, sp1);
  if (!isToken(methodText_)) return {"malformed method"};
  method_ = methodFromName(methodText_);
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return {"request line without a SIP version"};
  requestUriText_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (requestUriText_.empty()) return {"more than one space between request line elements"};
  version_ = line.substr(sp2 + 1);
  if (version_.find(' ') != std::string_view::npos) {
    return {"white space inside the Request-URI or after the SIP version"};
  }
  if (!isSipVersion(version_)) return {"malformed SIP version in request line"};
  return {};
}

std::string_view Message::unfold(std::string_view folded) {
  // Reserving the whole buffer size once means appends never reallocate, so earlier views into
  // unfolded_ stay valid.
  if (unfolded_.capacity() < buffer_.size()) unfolded_.reserve(buffer_.size());
  const size_t start = unfolded_.size();
  for (char c : folded) unfolded_.push_back(c == '\r' || c == '\n' ? ' ' : c);
  return trim(std::string_view(unfolded_).substr(start));
}

void Message::addField(size_t start, size_t nameEnd, size_t colon, size_t end, bool folded) {
  // All positions are inside buffer_ (start <= nameEnd <= colon < end or colon == end).
  const char* const data = buffer_.data();
  const std::string_view name(data + start, nameEnd - start);
  // Names are read in whole words when the buffer goes on long enough, which it nearly always
  // does (the value and the header block's end follow).
  const HeaderId id = buffer_.size() - start >= kHeaderNameWordBytes
                          ? headerIdFromNameWords(name.data(), name.size())
                          : headerIdFromName(name);
  const auto idx = static_cast<size_t>(id);
  if (counts_[idx]++ == 0) first_[idx] = static_cast<uint16_t>(headers_.size());
  HeaderField& field = headers_.emplace_back();
  field.id = id;
  field.name = name;
  const std::string_view rawValue(data + colon + 1, end - colon - 1);
  field.value = folded ? unfold(rawValue) : trim(rawValue);
  field.raw = std::string_view(data + start, end - start);
}

ParseStatus Message::parseHeaders(size_t pos, const ParseOptions& options, size_t& bodyStart) {
  const std::string_view all = buffer_;
  const char* const data = all.data();
  const size_t n = all.size();
  // The field index and per-id counts are 16-bit (kNone marks "absent").
  const size_t maxHeaders = std::min<size_t>(options.maxHeaders, kNone);
  size_t p = pos;
  for (;;) {
    if (p >= n) return {"header block not terminated by an empty line"};
    if (data[p] == '\n') {
      bodyStart = p + 1;
      return {};
    }
    if (data[p] == '\r' && p + 1 < n && data[p + 1] == '\n') {
      bodyStart = p + 2;
      return {};
    }
    if (isWsp(data[p])) return {"continuation line before the first header"};
    if (headers_.size() == maxHeaders) return {"too many header fields"};

    // The usual line: a token name, maybe white space, ':'. The name scan finds the colon, and
    // neither holds a line end, so the line end is searched after the colon.
    size_t colon = skipWhile(all, p, kTokenChars);
    const size_t nameEnd = colon;
    while (colon < n && isWsp(data[colon])) ++colon;
    const bool usual = nameEnd > p && colon < n && data[colon] == ':';

    const char* nl = static_cast<const char*>(
        std::memchr(data + (usual ? colon : p), '\n', n - (usual ? colon : p)));
    if (nl == nullptr) return {"header block not terminated by an empty line"};
    size_t e = static_cast<size_t>(nl - data);
    bool folded = false;
    // Folded continuation lines start with white space (RFC 3261 §7.3.1).
    while (e + 1 < n && isWsp(data[e + 1])) {
      folded = true;
      nl = static_cast<const char*>(std::memchr(data + e + 1, '\n', n - e - 1));
      if (nl == nullptr) return {"header block not terminated by an empty line"};
      e = static_cast<size_t>(nl - data);
    }
    const size_t start = p;
    const size_t end = e > start && data[e - 1] == '\r' ? e - 1 : e;
    p = e + 1;
    if (!usual) {
      // Whatever is wrong with this line, say it the way a plain split would.
      const std::string_view raw = all.substr(start, end - start);
      const size_t c = raw.find(':');
      if (c == std::string_view::npos) return {"header line without a colon"};
      std::string_view name = raw.substr(0, c);
      while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
      if (!isToken(name)) return {"malformed header name"};
      addField(start, start + name.size(), start + c, end, folded);
      continue;
    }
    addField(start, nameEnd, colon, end, folded);
  }
}

const HeaderField* Message::find(HeaderId id) const {
  // counts_ first: a message that was never parsed has zeroed indexes.
  if (counts_[static_cast<size_t>(id)] == 0) return nullptr;
  return &headers_[first_[static_cast<size_t>(id)]];
}

std::string_view Message::value(HeaderId id) const {
  const HeaderField* f = find(id);
  return f ? f->value : std::string_view{};
}

const HeaderField* Message::findByName(std::string_view name) const {
  for (const HeaderField& f : headers_) {
    if (equalsIgnoreCase(f.name, name)) return &f;
  }
  return nullptr;
}

template <typename T, typename ParseFn>
const T* Message::lazy(Lazy<T>& slot, ParseFn&& parse) const {
  if (slot.state == LazyState::kUnparsed) {
    slot.state = parse(slot.value).empty() ? LazyState::kOk : LazyState::kBad;
  }
  return slot.state == LazyState::kOk ? &slot.value : nullptr;
}

std::optional<uint32_t> Message::lazyScalar(Lazy<uint32_t>& slot, HeaderId id, uint32_t max) const {
  if (!has(id)) return std::nullopt;
  const uint32_t* v = lazy(slot, [&](uint32_t& out) -> std::string_view {
    const Result<uint32_t> r = parseScalar(value(id), max);
    if (r) out = *r;
    return r.error();
  });
  return v ? std::optional<uint32_t>(*v) : std::nullopt;
}

const Uri* Message::requestUri() const {
  if (!isRequest_) return nullptr;
  return lazy(requestUri_, [&](Uri& out) { return parseUri(requestUriText_, out); });
}

const NameAddr* Message::from() const {
  if (!has(HeaderId::kFrom)) return nullptr;
  return lazy(from_, [&](NameAddr& out) { return parseNameAddr(value(HeaderId::kFrom), out); });
}

const NameAddr* Message::to() const {
  if (!has(HeaderId::kTo)) return nullptr;
  return lazy(to_, [&](NameAddr& out) { return parseNameAddr(value(HeaderId::kTo), out); });
}

const Via* Message::topVia() const {
  if (!has(HeaderId::kVia)) return nullptr;
  return lazy(topVia_, [&](Via& out) {
    const std::string_view v = value(HeaderId::kVia);
    return parseVia(trim(v.substr(0, findUnquoted(v, ','))), out);
  });
}

const CSeq* Message::cseq() const {
  if (!has(HeaderId::kCSeq)) return nullptr;
  return lazy(cseq_, [&](CSeq& out) -> std::string_view {
    const Result<CSeq> r = parseCSeq(value(HeaderId::kCSeq));
    if (r) out = *r;
    return r.error();
  });
}

std::optional<uint32_t> Message::maxForwards() const {
  return lazyScalar(maxForwards_, HeaderId::kMaxForwards, 255);
}

std::optional<uint32_t> Message::expires() const {
  return lazyScalar(expires_, HeaderId::kExpires, UINT32_MAX);
}

std::optional<uint32_t> Message::contentLength() const {
  return lazyScalar(contentLength_, HeaderId::kContentLength, UINT32_MAX);
}

bool Message::contactIsStar() const {
  return count(HeaderId::kContact) == 1 && value(HeaderId::kContact) == "*";
}

const NameAddr* Message::contact() const {
  if (!has(HeaderId::kContact) || contactIsStar()) return nullptr;
  return lazy(contact_, [&](NameAddr& out) {
    // The first element of the first Contact field that has one.
    std::string_view first;
    for (size_t i = first_[static_cast<size_t>(HeaderId::kContact)];
         first.empty() && i < headers_.size(); ++i) {
      if (headers_[i].id == HeaderId::kContact) first = firstListElement(headers_[i].value);
    }
    return parseNameAddr(first, out);
  });
}

}  // namespace tg::sip
