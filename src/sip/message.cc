#include "sip/message.h"

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

ParseStatus Message::parseHeaders(size_t pos, const ParseOptions& options, size_t& bodyStart) {
  const std::string_view all = buffer_;
  const size_t n = all.size();
  size_t p = pos;
  for (;;) {
    if (p >= n) return {"header block not terminated by an empty line"};
    if (all[p] == '\n') {
      bodyStart = p + 1;
      return {};
    }
    if (all[p] == '\r' && p + 1 < n && all[p + 1] == '\n') {
      bodyStart = p + 2;
      return {};
    }
    if (isWsp(all[p])) return {"continuation line before the first header"};
    if (headers_.size() == options.maxHeaders) return {"too many header fields"};

    const char* nl = static_cast<const char*>(std::memchr(all.data() + p, '\n', n - p));
    if (nl == nullptr) return {"header block not terminated by an empty line"};
    size_t e = static_cast<size_t>(nl - all.data());
    bool folded = false;
    // Folded continuation lines start with white space (RFC 3261 §7.3.1).
    while (e + 1 < n && isWsp(all[e + 1])) {
      folded = true;
      nl = static_cast<const char*>(std::memchr(all.data() + e + 1, '\n', n - e - 1));
      if (nl == nullptr) return {"header block not terminated by an empty line"};
      e = static_cast<size_t>(nl - all.data());
    }
    const std::string_view raw = stripCr(all.substr(p, e - p));
    p = e + 1;

    const size_t colon = raw.find(':');
    if (colon == std::string_view::npos) return {"header line without a colon"};
    std::string_view name = raw.substr(0, colon);
    while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
    if (!isToken(name)) return {"malformed header name"};
    const std::string_view rawValue = raw.substr(colon + 1);

    HeaderField field;
    field.id = headerIdFromName(name);
    field.name = name;
    field.value = folded ? unfold(rawValue) : trim(rawValue);
    field.raw = raw;
    const auto idx = static_cast<size_t>(field.id);
    if (counts_[idx]++ == 0) first_[idx] = static_cast<uint16_t>(headers_.size());
    headers_.push_back(field);
  }
}

const HeaderField* Message::find(HeaderId id) const {
  const uint16_t i = first_[static_cast<size_t>(id)];
  return i == kNone ? nullptr : &headers_[i];
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
    Result<T> r = parse();
    if (r.ok()) {
      slot.value = std::move(*r);
      slot.state = LazyState::kOk;
    } else {
      slot.state = LazyState::kBad;
    }
  }
  return slot.state == LazyState::kOk ? &slot.value : nullptr;
}

const Uri* Message::requestUri() const {
  if (!isRequest_) return nullptr;
  return lazy(requestUri_, [&] { return parseUri(requestUriText_); });
}

const NameAddr* Message::from() const {
  if (!has(HeaderId::kFrom)) return nullptr;
  return lazy(from_, [&] { return parseNameAddr(value(HeaderId::kFrom)); });
}

const NameAddr* Message::to() const {
  if (!has(HeaderId::kTo)) return nullptr;
  return lazy(to_, [&] { return parseNameAddr(value(HeaderId::kTo)); });
}

const Via* Message::topVia() const {
  if (!has(HeaderId::kVia)) return nullptr;
  return lazy(topVia_, [&]() -> Result<Via> {
    const std::string_view v = value(HeaderId::kVia);
    return parseVia(trim(v.substr(0, findUnquoted(v, ','))));
  });
}

const CSeq* Message::cseq() const {
  if (!has(HeaderId::kCSeq)) return nullptr;
  return lazy(cseq_, [&] { return parseCSeq(value(HeaderId::kCSeq)); });
}

std::optional<uint32_t> Message::maxForwards() const {
  if (!has(HeaderId::kMaxForwards)) return std::nullopt;
  const uint32_t* v =
      lazy(maxForwards_, [&] { return parseScalar(value(HeaderId::kMaxForwards), 255); });
  return v ? std::optional<uint32_t>(*v) : std::nullopt;
}

std::optional<uint32_t> Message::expires() const {
  if (!has(HeaderId::kExpires)) return std::nullopt;
  const uint32_t* v =
      lazy(expires_, [&] { return parseScalar(value(HeaderId::kExpires), UINT32_MAX); });
  return v ? std::optional<uint32_t>(*v) : std::nullopt;
}

std::optional<uint32_t> Message::contentLength() const {
  if (!has(HeaderId::kContentLength)) return std::nullopt;
  const uint32_t* v = lazy(
      contentLength_, [&] { return parseScalar(value(HeaderId::kContentLength), UINT32_MAX); });
  return v ? std::optional<uint32_t>(*v) : std::nullopt;
}

bool Message::contactIsStar() const {
  return count(HeaderId::kContact) == 1 && value(HeaderId::kContact) == "*";
}

const NameAddr* Message::contact() const {
  if (!has(HeaderId::kContact) || contactIsStar()) return nullptr;
  return lazy(contact_, [&]() -> Result<NameAddr> {
    std::string_view first;
    forEachElement(HeaderId::kContact, [&](std::string_view e) {
      if (first.empty()) first = e;
    });
    return parseNameAddr(first);
  });
}

}  // namespace tg::sip
